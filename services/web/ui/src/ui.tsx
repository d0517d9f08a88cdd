/** Building blocks every page uses: links, loading and error states, actions, fields, tables, money. */
import type { AnchorHTMLAttributes, ComponentChildren, InputHTMLAttributes, PartialInputHTMLAttributes } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './problem.ts';
import { focusNextTitle, navigate } from './router.ts';

export function Link(props: { href: string; children: ComponentChildren } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { href, children, ...rest } = props;
  return (
    <a
      {...rest}
      href={href}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <p>{errorText(error)}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/**
 * A load as a page shows it while it has no data or has failed: loading the first time, the
 * failure with a retry. Only the load's own failure: reloading the page would not repeat a
 * failed action, so actions show theirs in an ErrorBox without retry.
 */
export function AsyncStatus({ of, what }: { of: Async<unknown>; what: string }) {
  return (
    <>
      {of.loading && !of.data && <Loading what={what} />}
      <ErrorBox error={of.error} retry={of.reload} />
    </>
  );
}

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change; the latest answer wins. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, error: undefined, loading: false }),
      (error) => !controller.signal.aborted && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => controller.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Something the user starts (a form's submit, a button): busy while it runs, its failure kept to show. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function run(action: () => Promise<void>, onError?: (err: unknown) => void): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
      onError?.(err);
    } finally {
      setBusy(false);
    }
  }

  /** A form's onSubmit: the action instead of the browser's own submit. */
  const submit = (action: () => Promise<void>, onError?: (err: unknown) => void) => (e: Event) => {
    e.preventDefault();
    return run(action, onError);
  };

  return { busy, error, run, submit };
}

/** Calls `fn` every `ms` while mounted and `active`. */
export function useInterval(fn: () => void, ms: number, active = true): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => saved.current(), ms);
    return () => clearInterval(id);
  }, [ms, active]);
}

export function money(minor: number, currency: string | null): string {
  if (!currency) return '—';
  return new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / 100);
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Saves a blob under a file name through a temporary link. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Field(props: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control comes in as children
    <label class="field">
      <span>{props.label}</span>
      {props.children}
      {props.hint && <small>{props.hint}</small>}
    </label>
  );
}

/** Attributes of a text input that pages set beyond its label and value. */
type TextInputAttributes = Pick<
  PartialInputHTMLAttributes<HTMLInputElement>,
  'name' | 'autoComplete' | 'placeholder' | 'required' | 'pattern' | 'minLength' | 'maxLength' | 'inputMode'
> & { type?: 'email' | 'password' | 'url' | 'datetime-local' };

/** A labelled text input holding `value`. */
export function TextField({
  label,
  hint,
  value,
  onValue,
  ...input
}: { label: string; hint?: string; value: string; onValue: (value: string) => void } & TextInputAttributes) {
  return (
    <Field label={label} hint={hint}>
      {/* preact types each input type's attributes apart, and a union of types does not narrow to one of them */}
      <input {...(input as InputHTMLAttributes)} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
    </Field>
  );
}

/** A table's header row; every cell heads its column for screen readers. */
export function ColumnHeads({ columns }: { columns: ComponentChildren[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column, i) => (
          <th key={i} scope="col">
            {column}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A table's body: a row of cells per item; a cell holds text or controls (admin's stock editor). */
export function BodyRows<T>({
  items,
  rowKey,
  cells,
}: {
  items: readonly T[];
  rowKey: (item: T) => string;
  cells: (item: T) => ComponentChildren[];
}) {
  return (
    <tbody>
      {items.map((item) => (
        <tr key={rowKey(item)}>
          {cells(item).map((cell, i) => (
            <td key={i}>{cell}</td>
          ))}
        </tr>
      ))}
    </tbody>
  );
}

export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${ref.current?.textContent ?? ''} · meshmart`;
    if (focusNextTitle.pending && ref.current) {
      focusNextTitle.pending = false;
      ref.current.focus({ preventScroll: true });
    }
  });
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}
