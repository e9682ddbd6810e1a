import type { Store } from "../../core/ports/store.ts";

/**
 * Host names offered while the person types the `text` option (an autocomplete interaction,
 * answered with type 8): once a command word is typed, each enrolled host whose name starts with
 * what follows, as the whole text (`triage node-3`). Discord takes up to 25 choices of at most
 * 100 characters. https://discord.com/developers/docs/interactions/application-commands#autocomplete
 */
const MAX_CHOICES = 25;
const MAX_CHOICE = 100;

export async function hostChoices(
  store: Pick<Store, "listHosts">,
  typed: string,
): Promise<{ name: string; value: string }[]> {
  const text = typed.trimStart();
  const at = text.lastIndexOf(" ");
  // Still typing the command word: nothing to offer yet.
  if (at < 0) return [];
  const head = text.slice(0, at).trimEnd();
  const prefix = text.slice(at + 1).toLowerCase();
  const hosts = (await store.listHosts()).filter((h) => h.revokedAt === null && h.name.startsWith(prefix));
  return hosts
    .map((h) => `${head} ${h.name}`)
    .filter((text) => text.length <= MAX_CHOICE)
    .sort()
    .slice(0, MAX_CHOICES)
    .map((text) => ({ name: text, value: text }));
}
