/**
 * A command line split into words: spaces separate, "double" or 'single' quotes keep a name with
 * spaces together. `rest(i)` is the line from word `i` on as typed (a track line keeps its own
 * spacing and dashes), without the quotes when it is one quoted word.
 */
export interface Words {
  readonly count: number;
  word(index: number): string | undefined;
  rest(index: number): string;
}

export function splitWords(line: string): Words {
  const words: { text: string; start: number; quoted: boolean; end: number }[] = [];
  let i = 0;
  while (i < line.length) {
    if (/\s/.test(line[i]!)) {
      i++;
      continue;
    }
    const start = i;
    const quote = line[i] === '"' || line[i] === "'" ? line[i]! : undefined;
    if (quote) {
      const close = line.indexOf(quote, i + 1);
      const end = close === -1 ? line.length : close;
      words.push({ text: line.slice(i + 1, end), start, quoted: true, end: Math.min(end + 1, line.length) });
      i = end + 1;
    } else {
      while (i < line.length && !/\s/.test(line[i]!)) i++;
      words.push({ text: line.slice(start, i), start, quoted: false, end: i });
    }
  }
  return {
    count: words.length,
    word: (index) => words[index]?.text,
    rest(index) {
      const first = words[index];
      if (!first) return '';
      if (first.quoted && index === words.length - 1) return first.text;
      return line.slice(first.start).trim();
    },
  };
}
