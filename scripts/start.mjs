// `npm start`: install what is missing, build the app if needed, serve app + signaling on one port.
import { ensureDeps, ensureBuild, root } from './lib.mjs';
import { spawn } from 'node:child_process';

ensureDeps();
ensureBuild();
const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
