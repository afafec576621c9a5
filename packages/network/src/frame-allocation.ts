/**
 * Where response frames get their memory. Each large frame is a buffer of its own, kept by the records
 * decoded from it until the garbage collector frees it, so a consumer allocates and frees a megabyte or
 * more per Fetch response, a gigabyte a second at full speed.
 *
 * glibc's malloc (most Linux processes) serves an allocation at or above its mmap threshold with pages
 * fresh from the kernel and gives them back when it is freed; it starts at 128 KiB and only rises to the
 * size of an mmap'd block when one is freed, and the heap's free top is returned to the kernel past twice
 * that. With 1 MiB frames, the threshold settles near 1 MiB and every garbage collection trims the heap,
 * so nearly every frame is written into pages the kernel must first fault in and zero: 220-360k page
 * faults for 1.5 GB read (10 KiB records, one partition), a third of the CPU in the kernel.
 *
 * So before the first large frame the process allocates one block of {@link PRIMING_BYTES} and frees
 * it at once: glibc's own rule then raises the threshold to that size and the trim point to twice it, and
 * later frames reuse freed heap memory (17-22k page faults for the same read, 1.2-1.4x the records/s at
 * 0.7x the CPU per record). Other allocators (Bun's, musl's) are not moved by it and lose nothing.
 */
import { Buffer } from 'node:buffer';

/**
 * Frames from this size on prime the allocator first: glibc's initial mmap threshold, below which
 * allocations come from the heap already.
 */
export const PRIME_FROM_BYTES = 128 * 1024;

/**
 * The block allocated and freed once. glibc raises the threshold only to sizes up to 32 MiB (on 64-bit),
 * and keeps up to twice the threshold free at the heap's top: 16 MiB covers a response of 16 partitions
 * at the default `maxPartitionFetchBytes` and leaves the heap at most 32 MiB of unreturned free memory.
 */
export const PRIMING_BYTES = 16 * 1024 * 1024;

let primed = false;

/** @returns whether this process has primed the allocator (for tests). */
export function allocatorPrimed(): boolean {
  return primed;
}

/**
 * Allocates and frees one {@link PRIMING_BYTES} block (its one caller makes that once per process). A
 * failed allocation is ignored: it only means the threshold stays where it was.
 */
function primeAllocator(): void {
  primed = true;
  try {
    const block = new ArrayBuffer(PRIMING_BYTES);
    // Detaching frees the block now; where `transfer` is missing, the next collection frees it.
    (block as { transfer?: (length: number) => ArrayBuffer }).transfer?.(0);
  } catch {
    // Out of memory for 16 MiB: the frames themselves will say so, with their own sizes.
  }
}

/**
 * @returns an unzeroed buffer of `size` bytes for a frame (its every byte is written before it is handed
 *   out), priming the allocator first when the frame is large.
 */
export function allocateFrame(size: number): Buffer {
  if (size >= PRIME_FROM_BYTES && !primed) primeAllocator();
  return Buffer.allocUnsafe(size);
}
