export declare const TEMPLATES_DIR: string;
export declare const OPTIONAL_MODULES: string[];
export interface Template {
  name: string;
  title: { es: string; en: string };
  description: { es: string; en: string };
  modules: string[];
  theme: Record<string, string>;
  copy: { es: Record<string, string>; en: Record<string, string> };
}
export declare function listTemplates(): Template[];
export declare function getTemplate(name: string): Template;
export declare function renderProject(o: { template: string; projectName: string; modules?: string[]; neptunoVersion?: string }): Map<string, string>;
export declare function createProject(o: { dir: string; template: string; modules?: string[]; neptunoVersion?: string }): { dir: string; files: string[] };
export declare function planApply(o: { dir: string; template: string; modules?: string[] }): { path: string; action: 'create' | 'same' | 'differs'; current?: string; next: string }[];
