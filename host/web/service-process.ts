/** The browser shell's own service: the real service entry, forked (see host/service/fork.ts). */
export { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from '../service/fork';
