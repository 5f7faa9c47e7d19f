// A loglet's sequencer in JSON: the node as a number and the process as `N1:6` (see the naming rule
// in output/documents.ts).
import { parseGenId } from '../../../api/ids';

export function sequencerFields(sequencer: string | undefined | null): { sequencer_node_id: number | null; sequencer_generational_id: string | null } {
  if (!sequencer) return { sequencer_node_id: null, sequencer_generational_id: null };
  return { sequencer_node_id: parseGenId(sequencer).id, sequencer_generational_id: sequencer };
}
