package dev.sluice.storage.remote;

/**
 * A segment held by the cold tier, as its partition's manifest records it.
 *
 * @param baseOffset its first offset (the name of its objects)
 * @param nextOffset one past its last offset
 * @param size bytes of its log object
 * @param maxTimestamp its largest record timestamp, -1 if none (for time retention)
 */
public record RemoteSegment(long baseOffset, long nextOffset, long size, long maxTimestamp) {
}
