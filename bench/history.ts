// History events per run, by type: what each journey costs the Temporal server to write and replay.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const { EventType } = proto.temporal.api.enums.v1;

/** `EVENT_TYPE_MARKER_RECORDED` -> `MarkerRecorded`. */
const typeName = (type: number): string =>
  (EventType[type] ?? String(type))
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());

/** Mean number of history events per run, by event type, over the given runs. */
export async function historyEventsPerRun(
  client: Client,
  workflowIds: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    for (const event of history.events ?? []) {
      const name = typeName(Number(event.eventType));
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  for (const [name, count] of counts) counts.set(name, count / Math.max(1, workflowIds.length));
  return counts;
}
