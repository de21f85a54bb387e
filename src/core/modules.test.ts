import { describe, expect, it } from 'vitest';
import { defineModule, type AnyModule } from './module.js';
import { ModuleGraphError, resolveModules } from './modules.js';
import { EventBus } from './events.js';

const mod = (name: string, dependsOn: string[] = []): AnyModule => defineModule({ name, dependsOn });

describe('module graph', () => {
  it('orders enabled modules after their dependencies', () => {
    const order = resolveModules([mod('gamification', ['users']), mod('users', ['auth']), mod('auth')], () => true);
    expect(order.map((m) => m.name)).toEqual(['auth', 'users', 'gamification']);
  });

  it('skips disabled modules nobody needs', () => {
    const order = resolveModules([mod('a'), mod('b')], (n) => n !== 'b');
    expect(order.map((m) => m.name)).toEqual(['a']);
  });

  it('stops when an enabled module depends on a disabled one, naming both', () => {
    expect(() => resolveModules([mod('gamification', ['users']), mod('users')], (n) => n !== 'users')).toThrow(
      /Module "gamification" depends on "users", which is disabled/,
    );
  });

  it('stops on an unknown dependency and on cycles', () => {
    expect(() => resolveModules([mod('a', ['ghost'])], () => true)).toThrow(ModuleGraphError);
    expect(() => resolveModules([mod('a', ['b']), mod('b', ['a'])], () => true)).toThrow(/cycle: a -> b -> a/);
    expect(() => resolveModules([mod('a'), mod('a')], () => true)).toThrow(/Two modules are named "a"/);
  });

  it('refuses module names that would not make a clean route prefix', () => {
    expect(() => defineModule({ name: 'Bad Name' })).toThrow(/Invalid module name/);
  });
});

describe('event bus', () => {
  it('runs every handler in order, and re-throws the first failure after all ran', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on('settings.changed', () => void seen.push('a'));
    bus.on('settings.changed', () => {
      seen.push('b');
      throw new Error('b failed');
    });
    bus.on('settings.changed', async () => void seen.push('c'));
    await expect(bus.notify('settings.changed', { keys: ['x'] })).rejects.toThrow('b failed');
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('unsubscribes', async () => {
    const bus = new EventBus();
    let n = 0;
    const off = bus.on('settings.changed', () => void n++);
    await bus.notify('settings.changed', { keys: [] });
    off();
    await bus.notify('settings.changed', { keys: [] });
    expect(n).toBe(1);
    expect(bus.listenerCount('settings.changed')).toBe(0);
  });
});
