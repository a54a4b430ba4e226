/**
 * What a peer library (or the bare undici yardstick) offers to the scenarios. A peer that cannot
 * do something leaves that member out and the scenario says so in its note.
 */
import type { BenchEmulator } from '../lib/emulator-process.js';

export interface SendSetup {
  emu: BenchEmulator;
  pageId: string;
  pageToken: string;
  /** People who messaged the page (24 h window open); sends rotate over them. */
  psids: string[];
  text: string;
}

export interface Sender {
  send: (i: number) => Promise<void>;
  close: () => Promise<void>;
}

export interface Exchanger {
  /** Returns the long-lived token. */
  exchange: (shortLivedToken: string) => Promise<string>;
  close: () => Promise<void>;
}

export interface Lister {
  /** Lists every page of the user, following paging.next; returns how many it saw. */
  listPages: (userToken: string) => Promise<number>;
  close: () => Promise<void>;
}

export interface Peer {
  name: string;
  /** How the peer is configured, for BENCHMARKS.md and the table's note. */
  how: string;
  sender?: (setup: SendSetup) => Promise<Sender>;
  exchanger?: (emu: BenchEmulator) => Promise<Exchanger>;
  lister?: (emu: BenchEmulator) => Promise<Lister>;
}

/** The Send API body every contender sends: the same bytes pagekeeper's direct send produces. */
export function sendBody(psid: string, text: string): { recipient: { id: string }; messaging_type: 'RESPONSE'; message: { text: string } } {
  return { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text } };
}
