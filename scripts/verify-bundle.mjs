#!/usr/bin/env node
// Checks an evidence bundle offline (docs/EVIDENCE.md "Evidence bundles"), with nothing but Node
// (18 or later) and this file: no dependency, no database, no network. An independent
// re-implementation of the hash chain's definition (adapters/evidence/chain-definition.ts); a test
// holds the two equal.
//
//   node scripts/verify-bundle.mjs bundle.json [--key checkpoint-public-key.pem]
//
// For every event: its leaf from the text as given, the audit path to its block's events root,
// the block's hash from its header, the audit path from the block to the blocksRoot of the
// checkpoint that added it, and that checkpoint's Ed25519 signature under the bundle's public key
// (or under --key: the key you got from the operator's publication, which is what makes the
// check mean something). Every figure's events must be among the proven ones. Exit 0 when all
// holds, 3 when something does not (each problem is printed), 2 on a bad command line.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ns = (value) => `${Buffer.byteLength(value, 'utf8')}:${value},`;
const sha256 = (...parts) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const INNER = Buffer.from([1]);

export function leafOf(event) {
  const text =
    ns('swl.event.v1') + ns(event.position) + ns(event.stream) + ns(event.streamVersion) + ns(event.id) + ns(event.type) + ns(event.data) + ns(event.metadata);
  return sha256(Buffer.from(text, 'utf8'));
}

export function blockHashOf(block) {
  const text =
    ns('swl.block.v1') +
    ns(block.seq) +
    ns(block.firstPosition) +
    ns(block.lastPosition) +
    ns(String(block.eventCount)) +
    ns(block.previousHash) +
    ns(block.eventsRoot);
  return sha256(Buffer.from(text, 'utf8'));
}

// RFC 9162 §2.1.3.2: the root an audit path leads to from the leaf at `index` of `size`.
export function rootFromPath(leaf, index, size, path) {
  if (!(index >= 0 && index < size)) return undefined;
  let fn = index;
  let sn = size - 1;
  let hash = leaf;
  for (const siblingHex of path) {
    const sibling = Buffer.from(siblingHex, 'hex');
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      hash = sha256(INNER, sibling, hash);
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      hash = sha256(INNER, hash, sibling);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 ? hash : undefined;
}

const keyIdOf = (pem) =>
  createHash('sha256')
    .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
    .digest('hex');

function signatureHolds(checkpoint, pem) {
  try {
    return verify(null, Buffer.from(checkpoint.payload, 'utf8'), createPublicKey(pem), Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}

/** Checks the checkpoints: signature under a known key, and the key id the payload names. */
function checkCheckpoints(bundle, keys, problems) {
  const fields = new Map();
  for (const checkpoint of bundle.proofs.checkpoints) {
    const payload = JSON.parse(checkpoint.payload);
    const pem = keys.get(checkpoint.keyId);
    if (!pem) problems.push({ kind: 'checkpoint_key_unknown', checkpoint: checkpoint.seq, detail: `no trusted key ${checkpoint.keyId}` });
    else if (!signatureHolds(checkpoint, pem))
      problems.push({ kind: 'checkpoint_signature', checkpoint: checkpoint.seq, detail: 'the signature does not verify' });
    else if (payload.keyId !== checkpoint.keyId)
      problems.push({ kind: 'checkpoint_signature', checkpoint: checkpoint.seq, detail: 'the payload names another key' });
    else fields.set(checkpoint.seq, payload);
  }
  return fields;
}

/** Checks each block's hash and its path to the blocksRoot of its checkpoint. */
function checkBlocks(bundle, checkpoints, problems) {
  const blocks = new Map();
  for (const block of bundle.proofs.blocks) {
    if (blockHashOf(block).toString('hex') !== block.hash) {
      problems.push({ kind: 'block_altered', block: block.seq, detail: 'the header does not hash to the block hash' });
      continue;
    }
    const payload = checkpoints.get(block.checkpoint);
    if (payload === undefined) {
      problems.push({
        kind: 'block_unsigned',
        block: block.seq,
        detail: block.checkpoint ? `checkpoint ${block.checkpoint} does not verify` : 'no signed checkpoint covers this block yet',
      });
      continue;
    }
    const size = Number(BigInt(payload.blockSeq) - BigInt(payload.fromBlockSeq) + 1n);
    const root = rootFromPath(Buffer.from(block.hash, 'hex'), block.blockIndex, size, block.blockPath ?? []);
    if (root?.toString('hex') !== payload.blocksRoot || BigInt(block.seq) !== BigInt(payload.fromBlockSeq) + BigInt(block.blockIndex))
      problems.push({ kind: 'block_not_in_checkpoint', block: block.seq, detail: `the path does not reach checkpoint ${block.checkpoint}'s blocksRoot` });
    else blocks.set(block.seq, block);
  }
  return blocks;
}

/** The whole check; `trustedKeys` are PEM public keys (default: the bundle's own). */
export function verifyBundle(bundle, trustedKeys) {
  const problems = [];
  const pems = trustedKeys ?? bundle.publicKeys.map((k) => k.publicKeyPem);
  const keys = new Map(pems.map((pem) => [keyIdOf(pem), pem]));
  const checkpoints = checkCheckpoints(bundle, keys, problems);
  const blocks = checkBlocks(bundle, checkpoints, problems);
  const proven = new Set();
  for (const event of bundle.proofs.events) {
    const block = blocks.get(event.block);
    if (!block) {
      problems.push({ kind: 'event_unproven', position: event.position, detail: `its block ${event.block} is not proven` });
      continue;
    }
    const root = rootFromPath(leafOf(event), event.leafIndex, block.eventCount, event.leafPath);
    if (root?.toString('hex') !== block.eventsRoot)
      problems.push({ kind: 'event_altered', position: event.position, detail: `${event.type} in ${event.stream} does not hash into block ${block.seq}` });
    else proven.add(event.position);
  }
  for (const position of bundle.proofs.unchained) problems.push({ kind: 'event_unproven', position, detail: 'not chained yet when the bundle was made' });
  for (const figure of bundle.figures)
    for (const position of figure.positions)
      if (!proven.has(position))
        problems.push({ kind: 'figure_unproven', position, detail: `${figure.report} ${figure.figure} counts an event the bundle does not prove` });
  return {
    ok: problems.length === 0,
    eventsProven: proven.size,
    blocks: blocks.size,
    checkpoints: [...checkpoints.keys()],
    keyIds: [...keys.keys()],
    problems,
  };
}

function main(argv) {
  const file = argv.find((a) => !a.startsWith('--') && argv[argv.indexOf(a) - 1] !== '--key');
  const keyAt = argv.indexOf('--key');
  if (!file || (keyAt >= 0 && !argv[keyAt + 1])) {
    process.stderr.write('usage: node scripts/verify-bundle.mjs bundle.json [--key checkpoint-public-key.pem]\n');
    return 2;
  }
  const bundle = JSON.parse(readFileSync(file, 'utf8'));
  const trusted = keyAt >= 0 ? [readFileSync(argv[keyAt + 1], 'utf8')] : undefined;
  const report = verifyBundle(bundle, trusted);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (!trusted) process.stderr.write('note: checked under the key the bundle carries; pass --key with the operator’s published key to trust the result\n');
  return report.ok ? 0 : 3;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
