// Which members this one trusts: fingerprints pinned by name in the state folder, and the policy
// for a member that is not pinned. A pinned name that shows another key is always refused.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IdentityError, InvalidArgumentError, StateCorruptError } from '../errors.js';
import { FINGERPRINT_BYTES, fingerprintDigest, fingerprintText, normaliseFingerprint } from '../transport/fingerprint.js';
import type { PeerIdentity } from '../transport/handshake.js';
import { loadSodium } from '../transport/sodium.js';

const TRUST_FILE = 'trusted-members.json';

export interface PinnedMember {
  name: string;
  fingerprint: string;
  pinnedAt: string;
}

export type AcceptPolicy =
  /** true: any member that knows the session's secret. */
  | boolean
  /** Members with one of these fingerprints. */
  | readonly string[]
  /** Asks (a prompt, a script's rule). */
  | ((peer: PeerIdentity, fingerprint: string) => boolean | Promise<boolean>);

export interface TrustOptions {
  accept?: AcceptPolicy;
  /** The fingerprint bytes a join code promised for the host: that host is accepted, no other. */
  expected?: Uint8Array;
  /** Pin members accepted now, so later sessions know them. */
  pin?: boolean;
}

export class TrustStore {
  readonly #file: string;
  readonly #pinned: Map<string, PinnedMember>;

  private constructor(file: string, pinned: Map<string, PinnedMember>) {
    this.#file = file;
    this.#pinned = pinned;
  }

  static async open(stateFolder: string): Promise<TrustStore> {
    const file = path.join(stateFolder, TRUST_FILE);
    const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    const pinned = new Map<string, PinnedMember>();
    if (text !== null) {
      const corrupt = () => new StateCorruptError(`${file} is not a deltanode list of trusted members; fix or remove it`);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw corrupt();
      }
      const members = (value as { version?: unknown; members?: unknown }).members;
      if ((value as { version?: unknown }).version !== 1 || !Array.isArray(members)) throw corrupt();
      for (const member of members as unknown[]) {
        const { name, fingerprint, pinnedAt } = (member ?? {}) as Record<string, unknown>;
        if (typeof name !== 'string' || typeof fingerprint !== 'string' || typeof pinnedAt !== 'string' || normaliseFingerprint(fingerprint) !== fingerprint) {
          throw corrupt();
        }
        pinned.set(name, { name, fingerprint, pinnedAt });
      }
    }
    return new TrustStore(file, pinned);
  }

  list(): PinnedMember[] {
    return [...this.#pinned.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async pin(name: string, fingerprint: string, now = new Date()): Promise<void> {
    const normal = normaliseFingerprint(fingerprint);
    if (!normal) throw new InvalidArgumentError(`${JSON.stringify(fingerprint)} is not a fingerprint (eight groups of five digits)`);
    if (name.length === 0) throw new InvalidArgumentError('a pinned member needs a name');
    this.#pinned.set(name, { name, fingerprint: normal, pinnedAt: now.toISOString() });
    await this.#save();
  }

  async unpin(name: string): Promise<boolean> {
    const had = this.#pinned.delete(name);
    if (had) await this.#save();
    return had;
  }

  /** Accepts `peer` or throws an IdentityError saying why not and what would change that. */
  async check(peer: PeerIdentity, options: TrustOptions = {}): Promise<void> {
    const sodium = await loadSodium();
    const fingerprint = fingerprintText(sodium, peer.publicKey);
    const pinned = this.#pinned.get(peer.name);
    if (pinned) {
      if (pinned.fingerprint === fingerprint) return;
      throw new IdentityError(`${peer.name} presented the key ${fingerprint}, not the one pinned on ${pinned.pinnedAt.slice(0, 10)} ` +
        `(${pinned.fingerprint}): refused. If ${peer.name} really has a new identity, confirm it out of band, then ` +
        `'deltanode trust remove ${peer.name}'`);
    }
    if (options.expected) {
      const digest = fingerprintDigest(sodium, peer.publicKey).subarray(0, FINGERPRINT_BYTES);
      if (!sodium.memcmp(digest, options.expected)) {
        throw new IdentityError(`the host ${peer.name} (${fingerprint}) is not the one the join code names: refused`);
      }
    } else if (!(await accepted(options.accept, peer, fingerprint))) {
      throw new IdentityError(`${peer.name} (${fingerprint}) is not pinned: compare its fingerprint, then accept it ` +
        `(--accept '${fingerprint}', or --accept-new for any member that knows the secret) or pin it ('deltanode trust add')`);
    }
    if (options.pin) await this.pin(peer.name, fingerprint);
  }

  async #save(): Promise<void> {
    await fs.mkdir(path.dirname(this.#file), { recursive: true });
    const temporary = `${this.#file}.${process.pid}.${randomBytes(4).toString('hex')}.deltanode-tmp`;
    await fs.writeFile(temporary, `${JSON.stringify({ version: 1, members: this.list() }, null, 2)}\n`, { mode: 0o600 });
    await fs.rename(temporary, this.#file);
  }
}

async function accepted(policy: AcceptPolicy | undefined, peer: PeerIdentity, fingerprint: string): Promise<boolean> {
  if (policy === undefined || policy === false) return false;
  if (policy === true) return true;
  if (typeof policy === 'function') return (await policy(peer, fingerprint)) === true;
  return policy.some((text) => normaliseFingerprint(text) === fingerprint);
}
