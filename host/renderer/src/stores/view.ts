/** Which view is showing, kept in the URL's hash so a reload stays put. */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export const VIEWS = ['peers', 'connect', 'playlists', 'settings'] as const;
export type ViewName = (typeof VIEWS)[number];

const fromHash = (): ViewName => {
  const name = location.hash.replace(/^#\/?/, '');
  return (VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'peers';
};

export const useViewStore = defineStore('view', () => {
  const current = ref<ViewName>(fromHash());
  window.addEventListener('hashchange', () => (current.value = fromHash()));
  return {
    current,
    show(view: ViewName) {
      current.value = view;
      if (fromHash() !== view) location.hash = `#/${view}`;
    },
  };
});
