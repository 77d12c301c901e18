-- The hash chain over the event log and its signed daily checkpoints (adapters/evidence/; the
-- definition in adapters/evidence/chain-definition.ts and docs/EVIDENCE.md).
--
-- A chainer (adapters/evidence/chainer.ts) reads committed events in position order with the
-- store's gap-safe visibility rule, after they commit, and appends one block per pass: whole
-- transactions only, so appends never wait for it and never serialise on a previous hash.
-- Like events, blocks and checkpoints are append-only (same trigger, same privileges).

-- leaf(event) of the definition: SHA-256 of the netstrings (UTF-8 byte length ":" text ",") of
-- the tag, position, stream, stream_version, id, type, and data and metadata exactly as Postgres
-- prints jsonb. octet_length counts bytes in the database's encoding, hence UTF-8 only (checked
-- here). plpgsql so that each jsonb is printed once; one text hashed once was the cheapest form
-- measured (about half the time of hashing field by field).
do $$
begin
  if current_setting('server_encoding') <> 'UTF8' then
    raise exception 'the hash chain needs a UTF8 database (this one is %)', current_setting('server_encoding');
  end if;
end $$;

-- Arguments: position, stream, stream_version, id, type, data, metadata.
create function swl_event_leaf(bigint, text, bigint, uuid, text, jsonb, jsonb)
  returns bytea language plpgsql immutable strict parallel safe as $$
declare
  position_text text := $1::text;
  version_text  text := $3::text;
  data_text     text := $6::text;
  metadata_text text := $7::text;
begin
  return sha256(textsend(concat(
    '12:swl.event.v1,',
    octet_length(position_text), ':', position_text, ',',
    octet_length($2), ':', $2, ',',
    octet_length(version_text), ':', version_text, ',',
    '36:', $4, ',',
    octet_length($5), ':', $5, ',',
    octet_length(data_text), ':', data_text, ',',
    octet_length(metadata_text), ':', metadata_text, ',')));
end
$$;

create table event_chain (
  seq            bigint      primary key,                  -- 1, 2, 3… without gaps
  first_position bigint      not null,
  last_position  bigint      not null,
  event_count    integer     not null,
  positions      bigint[]    not null,                     -- the block's events, in position order
  leaves         bytea       not null,                     -- their leaves, 32 bytes each, same order
  events_root    bytea       not null,
  previous_hash  bytea       not null,
  hash           bytea       not null,
  chained_at     timestamptz not null default now(),       -- informative; not covered by the hash
  constraint event_chain_positions check (first_position <= last_position and event_count > 0)
);
create unique index event_chain_last_position on event_chain (last_position);

create table chain_checkpoints (
  seq        bigint      primary key,                      -- 1, 2, 3… without gaps
  day        text        not null unique,                  -- the local day it closes (YYYY-MM-DD)
  block_seq  bigint      not null,                         -- the chain's head block when signed (0: empty)
  payload    text        not null,                         -- the signed JSON text, as signed
  signature  text        not null,                         -- Ed25519 over UTF-8(payload), base64
  key_id     text        not null,                         -- hex SHA-256 of the public key (SPKI DER)
  created_at timestamptz not null default now()
);

create trigger event_chain_append_only before update or delete or truncate on event_chain
  for each statement execute function swl_refuse_change();
create trigger chain_checkpoints_append_only before update or delete or truncate on chain_checkpoints
  for each statement execute function swl_refuse_change();

revoke all on event_chain, chain_checkpoints from public;
grant select, insert on event_chain, chain_checkpoints to swl_app;
