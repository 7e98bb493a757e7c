/**
 * Which served model name answers each view. base is the spec's `base`; every other view
 * comes from the spec's `views:` map, or, with `runtime_lora`, from a PEFT folder sway
 * writes into `adapter_dir` and loads through vLLM's /v1/load_lora_adapter for as long as
 * the view is open. scale 0 is base and scale 1 is ft, as on the local engine.
 */
import { NULL_DRAW_VERSION } from '../../core/rng.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ViewUnavailableError } from '../../core/errors.js';
import type { ViewSelector } from '../../core/views.js';
import { viewId } from '../../engine/views.js';
import { isPeftFolder, loadAdapterWithArch, writePeftVariant, type AdapterWithArch, type VariantView } from './adapter-variants.js';
import type { HttpClient } from './client.js';
import { HttpBackendError } from './errors.js';

const DEFAULT_INIT_SCALE = 0.02;

export interface RemoteViewOptions {
  baseName: string;
  views: Record<string, string>;
  runtimeLora: boolean;
  /** Local PEFT adapter (the spec's `adapter:`); needed to write ft/scaled/null folders. */
  adapter: string | null;
  adapterDir: string | null;
  serverAdapterDir: string | null;
  localBase: string | null;
}

export interface ViewLease {
  name: string;
  release(): Promise<void>;
}

export interface RemoteViewStats {
  adapters_written: number;
  adapters_loaded: number;
  adapters_unloaded: number;
}

/** Normalises a selector so scale 0/1 and rank multiplier 1 share ids with base/ft/null. */
export function canonicalView(v: ViewSelector): ViewSelector {
  if (v.kind === 'scaled' && v.lambda === 0) return { kind: 'base' };
  if (v.kind === 'scaled' && v.lambda === 1) return { kind: 'ft' };
  return v;
}

export class RemoteViews {
  readonly stats: RemoteViewStats = { adapters_written: 0, adapters_loaded: 0, adapters_unloaded: 0 };
  private loaded: AdapterWithArch | null = null;
  private readonly leases = new Map<string, { count: number; ready: Promise<void> }>();

  constructor(
    private readonly o: RemoteViewOptions,
    private readonly client: HttpClient,
  ) {}

  get canWrite(): boolean {
    return this.o.runtimeLora && this.o.adapter !== null && this.o.adapterDir !== null;
  }

  /** Whether any scaled / null view can be served (decides the optional contract methods). */
  offers(kind: 'scaled' | 'null'): boolean {
    return this.canWrite || Object.keys(this.o.views).some((id) => id.startsWith(`${kind}_`));
  }

  /** Where a view would come from, for `sway doctor --spec` and error messages; null if nowhere. */
  source(v: ViewSelector): string | null {
    const c = canonicalView(v);
    if (c.kind === 'base') return `served model '${this.o.baseName}'`;
    const id = viewId(c);
    const mapped = this.o.views[id];
    if (mapped) return `served model '${mapped}' (views.${id})`;
    if (this.canWrite) return `loaded at run time from ${join(this.o.adapterDir!, this.folderName(id))}`;
    return null;
  }

  unavailableReason(v: ViewSelector): string {
    const id = viewId(canonicalView(v));
    const need = this.o.runtimeLora ? (this.o.adapter ? 'adapter_dir:' : 'adapter: (the local PEFT adapter)') : 'runtime_lora: true with adapter_dir: (vLLM)';
    return `the server offers no view '${id}': map it to a served model under views: (views: {${id}: <served name>}) or set ${need}`;
  }

  async acquire(v: ViewSelector): Promise<ViewLease> {
    const c = canonicalView(v);
    if (c.kind === 'base') return { name: this.o.baseName, release: async () => {} };
    const id = viewId(c);
    // View ids leave out init_scale; mapped names stand for the default one only.
    const customInit = c.kind === 'null' && (c.initScale ?? DEFAULT_INIT_SCALE) !== DEFAULT_INIT_SCALE;
    const mapped = customInit ? undefined : this.o.views[id];
    if (mapped) return { name: mapped, release: async () => {} };
    if (!this.canWrite) {
      throw new ViewUnavailableError(`http backend: ${customInit ? `view '${id}' with init_scale ${(c as { initScale: number }).initScale} cannot come from views: (mapped nulls use init_scale ${DEFAULT_INIT_SCALE}); use runtime_lora` : this.unavailableReason(c)}`);
    }
    return this.loadRuntime(c as VariantView, customInit ? `${id}_init${(c as { initScale: number }).initScale}` : id);
  }

  /** A null's folder also names the null-draw stream, so one written by a build with another stream is not reused. */
  private folderName(id: string): string {
    return `sway-${this.adapterHash()}-${id}${id.startsWith('null_') ? `-draw${NULL_DRAW_VERSION}` : ''}`;
  }

  private adapterHash(): string {
    return this.adapterInfo().adapter.contentHash.slice(0, 12);
  }

  private adapterInfo(): AdapterWithArch {
    this.loaded ??= loadAdapterWithArch(this.o.adapter!, this.o.localBase);
    return this.loaded;
  }

  private async loadRuntime(view: VariantView, id: string): Promise<ViewLease> {
    const name = this.folderName(id);
    let lease = this.leases.get(name);
    if (!lease) {
      const ready = (async () => {
        const local = join(this.o.adapterDir!, name);
        if (!isPeftFolder(local)) {
          writePeftVariant(this.adapterInfo().adapter, view, local);
          this.stats.adapters_written++;
        }
        const serverPath = join(this.o.serverAdapterDir ?? this.o.adapterDir!, name);
        try {
          await this.client.post('/v1/load_lora_adapter', { lora_name: name, lora_path: serverPath });
        } catch (err) {
          // A previous run that died before unloading leaves the name loaded; that adapter is the same bytes.
          if (!(err instanceof HttpBackendError && err.status === 400 && /already been loaded/i.test(err.message))) throw err;
        }
        this.stats.adapters_loaded++;
      })();
      lease = { count: 0, ready };
      this.leases.set(name, lease);
    }
    lease.count++;
    try {
      await lease.ready;
    } catch (err) {
      this.leases.delete(name);
      throw err;
    }
    const held = lease;
    let released = false;
    return {
      name,
      release: async () => {
        if (released) return;
        released = true;
        if (--held.count > 0) return;
        this.leases.delete(name);
        await this.client.post('/v1/unload_lora_adapter', { lora_name: name });
        this.stats.adapters_unloaded++;
      },
    };
  }

  /** Stable identity part: served names and, when sway writes adapters, the adapter's hash. */
  identity(): string {
    const h = createHash('sha256').update(JSON.stringify([this.o.baseName, Object.entries(this.o.views).sort()]));
    if (this.canWrite) h.update(this.adapterHash());
    return h.digest('hex').slice(0, 16);
  }
}
