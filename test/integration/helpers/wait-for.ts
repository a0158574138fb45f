// Waiting on something that has no event to await (a file appearing, a row changing in another process):
// poll, bounded, and say what was awaited if it never came.

/** Resolve with what `probe` returns once it is not undefined, null or false; poll every 25 ms for at most `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
