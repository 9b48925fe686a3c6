// Type definitions for the Natter widget's JS API (served at /natter.d.ts).
// The reference is docs/js-api.md. Every method may be called before the widget has
// loaded: the call waits, in order, and runs once it has. Bad arguments never throw:
// the call is refused with a console warning and an `error` event.

export type NatterLocale = 'ru' | 'en' | 'auto';

export type NatterPosition =
  | 'round_bottom_right'
  | 'hidden'
  | 'tab_bottom_right'
  | 'tab_bottom_center'
  | 'tab_bottom_left'
  | 'tab_right_center'
  | 'tab_left_center';

export type NatterPattern = 'none' | 'dots' | 'grid' | 'diagonal' | 'circles' | 'waves' | 'zigzag';

/** The owner's own words for one language; absent means the built-in text. */
export interface NatterTexts {
  launcher_label?: string | null;
  online_title?: string | null;
  offline_title?: string | null;
  placeholder?: string | null;
}

/** Appearance settings page code may override with `configure` (each replaces the site's value). */
export interface NatterAppearance {
  position?: NatterPosition;
  /** `#rrggbb` */
  header_color?: string;
  /** `#rrggbb` */
  send_color?: string;
  /** `#rrggbb`, the text on the header and the launcher. */
  text_color?: string;
  pattern?: NatterPattern;
  texts?: { ru?: NatterTexts; en?: NatterTexts };
  language?: NatterLocale;
  sound?: boolean;
  /** An `https:` image URL, or null for none. */
  logo_url?: string | null;
}

export interface NatterVisitor {
  name?: string;
  email?: string;
  phone?: string;
}

/** A signed-in user of your site, signed on your server (docs/js-api.md#identify). */
export interface NatterIdentity {
  /** Your user id: 1–128 characters. */
  id: string;
  name?: string;
  email?: string;
  /** When the signature stops being accepted: Unix time in seconds, at most 30 days ahead. */
  expires: number;
  /** Lowercase hex HMAC-SHA256 of the signed text, with the site's identity secret. */
  signature: string;
}

export type NatterAttributeValue = string | number | boolean | null;

export interface NatterSentMessage {
  /** The message's client id. */
  id: string;
  /** Its number in the conversation. */
  seq: number;
  text: string;
}

export interface NatterReceivedMessage {
  seq: number;
  text: string;
  /** The operator's name. */
  author: string;
}

export type NatterAction = 'message' | 'open_with_sound' | 'open' | 'open_introduce';

/** Each event and what its listeners receive. */
export interface NatterEvents {
  /** The widget has loaded and run every call made before. */
  ready: undefined;
  open: undefined;
  close: undefined;
  /** A message the visitor sent (typed or `sendMessage`) is stored. */
  'message:sent': NatterSentMessage;
  /** An operator's message arrived while the page was open. */
  'message:received': NatterReceivedMessage;
  /** The number of unread messages changed. */
  unread: number;
  /** Whether an operator is online: told when first known and on every change. */
  status: 'online' | 'offline';
  /** The visitor's name, e-mail or phone were set (form, `setVisitor` or `identify`). */
  introduced: Required<NatterVisitor>;
  /** A message left while no operator was online is stored (the owner is notified). */
  'offline:sent': NatterSentMessage;
  /** An auto-action rule fired (by itself or through `runAction`). */
  action: { name: string; action: NatterAction };
  /** A call was refused, or `identify` failed: what to fix. */
  error: { message: string };
}

export type NatterEvent = keyof NatterEvents;
export type NatterListener<E extends NatterEvent> = (detail: NatterEvents[E]) => void;

export interface NatterApi {
  /** Calls a method by name: the form the embed snippet's stub queues. */
  (method: string, ...args: unknown[]): unknown;

  open(): void;
  close(): void;
  toggle(): void;
  /** False until the widget has loaded. */
  isOpen(): boolean;
  /** Shows the launcher (an "always hidden" one at the default place). */
  show(): void;
  /** Hides the launcher; `open()` still opens the window. */
  hide(): void;

  /** Sends as the visitor; resolves `true` once stored, `false` when refused. */
  sendMessage(text: string): Promise<boolean>;
  /** Unread operator and auto-action messages; 0 until the widget has loaded. */
  unreadCount(): number;

  /** Checked like the "Introduce yourself" form: the name is required, e-mail and phone must be valid. */
  setVisitor(visitor: NatterVisitor): void;
  /** At most 20 attributes; names 1–40 characters, values up to 200; `null` removes one. */
  setAttributes(attributes: Record<string, NatterAttributeValue>): void;
  /** Resolves `true` when the edge accepted the signature, `false` (and `error`) when not. */
  identify(identity: NatterIdentity): Promise<boolean>;
  /** Forgets the visitor on this browser (e.g. on sign-out). */
  reset(): void;

  setLocale(locale: NatterLocale): void;
  configure(appearance: NatterAppearance): void;
  /** Runs the auto-action rule with this name now, whatever its conditions. */
  runAction(name: string): void;

  /** Adds a listener; returns a function that removes it. */
  on<E extends NatterEvent>(event: E, listener: NatterListener<E>): () => void;
  off<E extends NatterEvent>(event: E, listener: NatterListener<E>): void;
}

declare global {
  interface Window {
    Natter: NatterApi;
  }
  const Natter: NatterApi;
}
