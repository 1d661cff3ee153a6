import { downloadCode, hex } from './ids';
import type { FixtureFile } from './fixtures';

interface StoredFile extends FixtureFile {
  robotCode: string;
}

/** Files behind downloadCodes, and the short-lived download URLs handed out for them. */
export class FileStore {
  private readonly byCode = new Map<string, StoredFile>();
  private readonly urls = new Map<string, { file: StoredFile; expiresAt: number }>();

  constructor(private readonly urlTtlMs: number) {}

  add(robotCode: string, file: FixtureFile): string {
    const code = downloadCode();
    this.byCode.set(code, { ...file, robotCode });
    return code;
  }

  get(code: string): StoredFile | undefined {
    return this.byCode.get(code);
  }

  /** A new URL id for the file; the URL works until it expires. */
  issueUrl(file: StoredFile): string {
    const id = hex(16);
    this.urls.set(id, { file, expiresAt: Date.now() + this.urlTtlMs });
    return id;
  }

  resolveUrl(id: string): StoredFile | undefined {
    const entry = this.urls.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt < Date.now()) {
      this.urls.delete(id);
      return undefined;
    }
    return entry.file;
  }
}
