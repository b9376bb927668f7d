import { classifyFailure, type WireCodec } from '@auditflow/kafka';
import { type AuditEventJson, toJsonForm } from '@auditflow/schemas';

/**
 * One record of the clean topic as the streamer's readers see it: the event in its JSON form
 * (what subscribers and destinations get), or why it can never become one. Shared by the live
 * feed, the catch-up readers and the destination runners so the three classify alike.
 */
export type ReadRecord =
  | { readonly ok: true; readonly event: AuditEventJson; readonly json: string }
  | { readonly ok: false; readonly reason: string; readonly error: string };

/**
 * Decodes a record and renders its JSON form. Permanent failures come back as `ok: false` with
 * the DLQ reason (`DecodeError` reasons such as `corrupt_avro`, or `json_form_failed` for a
 * record that decodes but whose values have no JSON form, e.g. a time outside what a date can
 * hold or `details` that are not JSON). Retriable failures (the registry unreachable) throw:
 * the caller retries the batch, nothing is set aside for them.
 */
export async function readRecord(codec: WireCodec, value: Buffer | null): Promise<ReadRecord> {
  let decoded: Awaited<ReturnType<WireCodec['decode']>>;
  try {
    decoded = await codec.decode(value);
  } catch (err) {
    const failure = classifyFailure(err);
    if (failure.retriable) throw err;
    return { ok: false, reason: failure.reason, error: failure.detail };
  }
  try {
    // Pure functions of the record: what fails here fails on every attempt.
    const event = toJsonForm(decoded);
    return { ok: true, event, json: JSON.stringify(event) };
  } catch (err) {
    return { ok: false, reason: 'json_form_failed', error: classifyFailure(err).detail };
  }
}
