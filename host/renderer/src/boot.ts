/** Starts the app: loads every store from the service, then follows its events. */
import { call, subscribe } from './api';
import { describeProblem } from './lib/problems';
import { useAttemptsStore } from './stores/attempts';
import { useNoticesStore } from './stores/notices';
import { usePlaylistsStore } from './stores/playlists';
import { usePeersStore } from './stores/peers';
import { useServiceStore } from './stores/service';
import { useSettingsStore } from './stores/settings';

export async function boot(): Promise<void> {
  const service = useServiceStore();
  const attempts = useAttemptsStore();
  const peers = usePeersStore();
  const settings = useSettingsStore();
  const notices = useNoticesStore();
  const playlists = usePlaylistsStore();
  const loadPlaylists = async () => playlists.load((await call('service.status', {})).local.id);

  const reportProblems = () => {
    const stops = [
      subscribe('plugin.error', ({ plugin, error }) => notices.push(describeProblem({ ...error, plugin }))),
      // Links opened elsewhere (the OS, another window) that the service refused.
      subscribe('link.rejected', ({ link, error }) => {
        if (!attempts.isOpeningHere(link)) notices.push(describeProblem(error));
      }),
    ];
    return () => stops.forEach((stop) => stop());
  };

  await service.start(
    [attempts.load, peers.load, settings.load, loadPlaylists],
    [attempts.listen, peers.listen, settings.listen, playlists.listen, reportProblems],
  );
}
