/**
 * Collects output lines and writes them together a moment later: under load, one write per
 * request (a system call each) would cost bam dev a large share of its throughput.
 */
export class LineBuffer {
  private lines: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (text: string) => void,
    private readonly delayMs = 20,
  ) {}

  add(line: string): void {
    this.lines.push(line);
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const text = this.lines.join('\n');
    this.lines = [];
    this.write(text);
  }
}
