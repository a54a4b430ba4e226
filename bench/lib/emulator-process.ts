/**
 * The emulator every scenario of one run talks to.
 *
 * By default it runs in a child process (`pagekeeper emulator --port 0` through tsx), so the
 * emulator's request handling does not share an event loop with the client under test: on a
 * 2-core machine the client gets one core and the emulator the other. `--emulator in-process`
 * starts it with `startEmulator()` instead (useful when the CLI command is not wired yet).
 */
import { Agent, request } from 'undici';
import { spawnEmulator } from '../../test/helpers/emulator-process.js';

export { ROOT } from '../../test/helpers/emulator-process.js';

export interface EmulatorInfo {
  url: string;
  appId: string;
  appSecret: string;
  users: Array<{ id: string; name: string; shortLivedToken: string; pages: Array<{ id: string; name: string; tasks: string[] }> }>;
}

export interface BenchEmulator extends EmulatorInfo {
  mode: 'child-process' | 'in-process';
  /** JSON call to the control API (or any emulator path); throws on a non-2xx answer. */
  control: <T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) => Promise<T>;
  close: () => Promise<void>;
}

async function startInProcess(): Promise<{ info: EmulatorInfo; close: () => Promise<void> }> {
  const mod = (await import(new URL('../../src/emulator/index.js', import.meta.url).href)) as {
    startEmulator: (opts?: Record<string, unknown>) => Promise<EmulatorInfo & { close: () => Promise<void> }>;
  };
  const started = await mod.startEmulator({ port: 0 });
  return { info: started, close: () => started.close() };
}

export async function startBenchEmulator(mode: 'child-process' | 'in-process'): Promise<BenchEmulator> {
  let info: EmulatorInfo;
  let stop: () => Promise<void>;
  if (mode === 'child-process') {
    const started = await spawnEmulator();
    info = started.info;
    stop = started.stop;
  } else {
    const started = await startInProcess();
    info = started.info;
    stop = started.close;
  }
  // A separate agent keeps control calls off the connections being measured.
  const agent = new Agent({ connections: 4 });
  const control: BenchEmulator['control'] = async (method, path, body) => {
    const res = await request(new URL(path, info.url), {
      method,
      dispatcher: agent,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`${method} ${path.split('?')[0]} answered ${res.statusCode}: ${text.slice(0, 300)}`);
    return (text === '' ? undefined : JSON.parse(text)) as never;
  };
  return {
    ...info,
    mode,
    control,
    close: async () => {
      await agent.close();
      await stop();
    },
  };
}
