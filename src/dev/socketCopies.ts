// A second file descriptor for an accepted socket. Node has no dup(); a handle sent to a child
// process over IPC arrives as a new descriptor of the same socket (SCM_RIGHTS), so a small helper
// process sends each one straight back. bam dev gives the copy to a sandbox's worker and keeps
// the original: if the worker dies mid-request (a timeout, a crash, out of memory), bam dev still
// answers the 502 on it.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

// The helper closes its own copy once it has sent it back (the raw handle is not closed by send()).
const ECHO = "process.on('message', (m, handle) => process.send(m, handle, () => handle.close()));";

/** A raw TCP handle as IPC delivers it: its descriptor, never read by bam dev's thread. */
export interface HandleCopy {
  fd: number;
  close(): void;
}

export class SocketCopies {
  private helper: ChildProcess | undefined;
  private readonly waiting = new Map<number, (copy: HandleCopy | undefined) => void>();
  private nextId = 0;

  /** Starts the helper now (its start-up overlaps bam dev's own). */
  start(): void {
    if (this.helper) return;
    const helper = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    helper.on('message', (message: { id: number }, handle: HandleCopy | undefined) => {
      this.waiting.get(message.id)?.(handle);
      this.waiting.delete(message.id);
    });
    // Gone (or never started): no copies, so bam dev reads the connections itself.
    const gone = () => {
      if (this.helper === helper) this.helper = undefined;
      for (const resolve of this.waiting.values()) resolve(undefined);
      this.waiting.clear();
    };
    helper.on('error', gone);
    helper.on('exit', gone);
    helper.unref();
    helper.channel?.unref();
    this.helper = helper;
  }

  /** A copy of the socket's descriptor, or undefined when there is no helper to make one. */
  copy(socket: Socket): Promise<HandleCopy | undefined> {
    const helper = this.helper;
    const handle = (socket as unknown as { _handle?: object })._handle;
    if (!helper?.connected || !handle) return Promise.resolve(undefined);
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      helper.send({ id }, handle as never, (err) => {
        if (!err) return;
        this.waiting.delete(id);
        resolve(undefined);
      });
    });
  }

  stop(): void {
    this.helper?.kill();
    this.helper = undefined;
  }
}
