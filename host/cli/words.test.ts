import { describe, expect, it } from 'vitest';
import { splitWords } from './words';

describe('splitWords', () => {
  it('splits on spaces, keeps quoted names whole, and gives the rest of the line as typed', () => {
    const words = splitWords('  add "Road trip"  Nina Simone –  Feeling Good (3:35) ');
    expect([words.count, words.word(0), words.word(1), words.word(2)]).toEqual([8, 'add', 'Road trip', 'Nina']);
    expect(words.rest(2)).toBe('Nina Simone –  Feeling Good (3:35)');
    expect(splitWords("rename x 'New name'").rest(2)).toBe('New name');
    expect(splitWords('create "unclosed quote').word(1)).toBe('unclosed quote');
    expect(splitWords('list').rest(1)).toBe('');
    expect(splitWords('').count).toBe(0);
  });
});
