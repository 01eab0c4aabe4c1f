// deploy/ validates as far as this machine allows: the seccomp
// profile's shape and its one change to Docker's default, the Kubernetes
// manifest parses and points at that profile, nginx -t and systemd-analyze
// verify accept the nginx and systemd files (each skipped loudly when the
// tool is missing).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { missingTool } from './helpers.js';

const dir = fileURLToPath(new URL('../../../deploy/', import.meta.url));
const read = (name: string) => readFileSync(join(dir, name), 'utf8');
const IO_URING = ['io_uring_setup', 'io_uring_enter', 'io_uring_register'];
const work = mkdtempSync(join(tmpdir(), 'ringside-deploy-kit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface SeccompRule {
  names: string[];
  action: string;
  comment?: string;
}
interface SeccompProfile {
  defaultAction: string;
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  architectures?: string[];
  syscalls: SeccompRule[];
}

// The shape Docker's profile loader accepts (moby profiles/seccomp types):
// an action for everything not listed, architectures, and rules of names + action.
const ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG'];

describe('seccomp-io_uring.json', () => {
  const profile = JSON.parse(read('seccomp-io_uring.json')) as SeccompProfile;
  const allowed = (rules: SeccompRule[]) =>
    rules.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !('args' in r) && !('includes' in r && Object.keys((r as { includes: object }).includes).length));

  it("has Docker's profile shape: deny by default, architectures, rules of names and an action", () => {
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    const arches = profile.archMap?.map((a) => a.architecture) ?? profile.architectures ?? [];
    expect(arches).toEqual(expect.arrayContaining(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']));
    expect(profile.syscalls.length).toBeGreaterThan(1);
    for (const rule of profile.syscalls) {
      expect(rule.names.length, JSON.stringify(rule)).toBeGreaterThan(0);
      for (const name of rule.names) expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
      expect(ACTIONS).toContain(rule.action);
    }
  });

  it('allows the three io_uring syscalls unconditionally, in one rule of their own and nowhere else', () => {
    const rules = profile.syscalls.filter((r) => r.names.some((n) => IO_URING.includes(n)));
    expect(rules).toHaveLength(1);
    expect([...rules[0].names].sort()).toEqual([...IO_URING].sort());
    expect(allowed(rules)).toHaveLength(1);
    expect(rules[0].comment).toMatch(/only change/);
  });

  it("keeps Docker's default allow-list (what a Node server needs still passes)", () => {
    const names = new Set(allowed(profile.syscalls).flatMap((r) => r.names));
    for (const call of ['accept4', 'epoll_wait', 'epoll_pwait', 'eventfd2', 'mmap', 'futex', 'sendmsg', 'recvmsg', 'clone3', 'openat', 'statx']) {
      expect(names.has(call) || profile.syscalls.some((r) => r.names.includes(call)), call).toBe(true);
    }
    // and still denies what Docker's default denies to an unprivileged container
    for (const call of ['mount', 'kexec_load', 'bpf', 'unshare']) expect(names.has(call), call).toBe(false);
  });

  it('is what seccomp-profile.mjs makes of it (regenerating changes nothing)', async () => {
    const { withIoUring } = (await import(join(dir, 'seccomp-profile.mjs'))) as { withIoUring: (p: SeccompProfile) => SeccompProfile };
    expect(withIoUring(profile)).toEqual(profile);
  });
});

// The YAML parser vite (under vitest) depends on: no dependency of our own for one test.
function loadYaml(): { parse: (text: string) => unknown } {
  const fromVitest = createRequire(createRequire(import.meta.url).resolve('vitest/package.json'));
  return createRequire(fromVitest.resolve('vite/package.json'))('yaml');
}

describe('k8s.yaml', () => {
  const doc = loadYaml().parse(read('k8s.yaml')) as any;
  const pod = doc.spec.template.spec;
  const app = pod.containers[0];

  it('is a Deployment with probes, preStop, a grace period above the drain deadline, and resources', () => {
    expect(doc.kind).toBe('Deployment');
    expect(doc.spec.selector.matchLabels).toEqual(doc.spec.template.metadata.labels);
    expect(app.readinessProbe.httpGet.path).toBe('/readyz');
    expect(app.livenessProbe.httpGet.path).toBe('/healthz');
    const preStop = app.lifecycle.preStop.sleep?.seconds ?? 0;
    expect(preStop).toBeGreaterThan(0);
    // closeOnSignals' default deadline: 10 s
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + 10);
    expect(app.resources.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
  });

  it('runs under the shipped seccomp profile (Localhost), as a non-root user', () => {
    const seccomp = pod.securityContext.seccompProfile;
    expect(seccomp.type).toBe('Localhost');
    expect(existsSync(join(dir, basename(seccomp.localhostProfile))), seccomp.localhostProfile).toBe(true);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
  });

  it('probes the port and routes server.js serves', () => {
    const port = Number(app.env.find((e: { name: string }) => e.name === 'PORT').value);
    expect(app.ports[0].containerPort).toBe(port);
    expect(app.readinessProbe.httpGet.port).toBe(port);
    const server = read('server.js');
    for (const path of [app.readinessProbe.httpGet.path, app.livenessProbe.httpGet.path]) expect(server).toContain(`'${path}'`);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  it('is multi-stage, runs as a non-root user, has a health check on a route server.js serves', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(lastStage).toMatch(/^USER (?!root\b)\S+/m);
    const health = /^HEALTHCHECK [\s\S]*?\$\{process\.env\.PORT\}(\/\w+)/m.exec(lastStage);
    expect(health).not.toBeNull();
    expect(read('server.js')).toContain(`'${health?.[1]}'`);
    expect(dockerfile).toContain('seccomp-io_uring.json');
  });
});

// nginx has no --version; Debian puts it in /usr/sbin, often not on a user's PATH.
const nginx = ['nginx', '/usr/sbin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
const nginxMissing = nginx ? null : 'nginx not found (Debian/Ubuntu: apt-get install -y nginx-light)';
if (nginxMissing) console.warn(`\n*** SKIPPING nginx -t on deploy/nginx.conf: ${nginxMissing}\n`);
describe.skipIf(!!nginxMissing)(`nginx.conf${nginxMissing ? ` (SKIPPED: ${nginxMissing})` : ''}`, () => {
  it('passes nginx -t as a site file in a minimal main config', () => {
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${work}/${k};`).join(' ');
    writeFileSync(
      join(work, 'nginx.conf'),
      `pid ${work}/nginx.pid; error_log ${work}/error.log; events {} http { access_log off; ${temp} include ${join(dir, 'nginx.conf')}; }\n`,
    );
    const r = spawnSync(nginx as string, ['-t', '-q', '-p', work, '-c', join(work, 'nginx.conf')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

const systemdMissing = missingTool('systemd-analyze');
if (systemdMissing) console.warn(`\n*** SKIPPING systemd-analyze verify on deploy/ringside@.service: ${systemdMissing}\n`);
describe.skipIf(!!systemdMissing)(`ringside@.service${systemdMissing ? ` (SKIPPED: ${systemdMissing})` : ''}`, () => {
  it('passes systemd-analyze verify as an instance, with the settings a server needs', () => {
    const unit = read('ringside@.service');
    const instance = join(work, 'ringside@3001.service');
    copyFileSync(join(dir, 'ringside@.service'), instance);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', instance], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.trim(), 'systemd-analyze warnings').toBe('');
    expect(unit).toMatch(/^LimitNOFILE=\d+/m);
    expect(unit).toMatch(/^Restart=/m);
  });
});
