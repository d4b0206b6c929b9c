/**
 * One raw RxDB peer of the replication benchmark, in its own process (forked by
 * bench/replication.ts with `--import tsx`): an RxDB database on the plugin's storage,
 * replicated with RxDB's own replicateWebRTC. Driven by the parent over IPC (see ./raw-rxdb.ts).
 */
import { filter, firstValueFrom } from 'rxjs';
import { openDatabase, type OpenedDatabase } from '../plugins/rxdb/storage/database';
import { replicateRaw, stampedTitle, trackDocs, until, type RawCommand, type RawReply } from './raw-rxdb';

let database: OpenedDatabase | undefined;
let pool: { cancel(): Promise<unknown> } | undefined;

const reply = (message: RawReply): void => void process.send!(message);
const db = () => {
  if (!database) throw new Error('not open');
  return database.db;
};

async function handle(command: RawCommand): Promise<void> {
  switch (command.type) {
    case 'open': {
      database = await openDatabase(command.dir, command.name);
      const docs = trackDocs('rawplaylist', command.docs, command.name);
      const began = performance.now();
      if (docs.length > 0) await database.db.tracks.bulkInsert(docs);
      return reply({ type: 'opened', insertMs: performance.now() - began, ids: docs.map((d) => d.id) });
    }
    case 'replicate': {
      pool = await replicateRaw(db().tracks, command.signalingUrl);
      reply({ type: 'replicating' });
      if (command.expect !== undefined) reply({ type: 'synced', count: await until(db().tracks, command.expect) });
      return;
    }
    case 'watch': {
      const { id, title } = command;
      const arrived = firstValueFrom(db().tracks.$.pipe(filter((event) => event.documentData.id === id && event.documentData.title === title)));
      reply({ type: 'watching' });
      await arrived;
      return reply({ type: 'seen', id });
    }
    case 'edit': {
      const doc = await db().tracks.findOne(command.id).exec();
      if (!doc) throw new Error(`no document ${command.id}`);
      await doc.incrementalModify((data) => stampedTitle(data, command.title, command.seq));
      return reply({ type: 'edited' });
    }
    case 'close': {
      await pool?.cancel().catch(() => {});
      await database?.close();
      reply({ type: 'closed' });
      // WebRTC bindings can keep native threads alive after every connection closed.
      return void setImmediate(() => process.exit(0));
    }
  }
}

process.on('message', (command: RawCommand) => {
  handle(command).catch((error: unknown) => reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
});
process.on('disconnect', () => process.exit(1));
