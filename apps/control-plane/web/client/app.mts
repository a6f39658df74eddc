/** Entry module of the reviewer page: sign-in with a pasted token, then the run list or one run. */
import type { Identity } from '../../../../workflows/contracts';
import { ApiError, api, session } from './api.mjs';
import { badge, card, h, when } from './dom.mjs';
import { renderRunPage } from './run-page.mjs';

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`index.html has no #${id}`);
  return node as T;
}

const main = byId('main');
const login = byId<HTMLFormElement>('login');
const who = byId('who');
const logout = byId<HTMLButtonElement>('logout');
const STATUSES = ['awaiting-approval', 'running', 'promoted', 'rejected', 'rejected-by-gate', 'expired'];

function showLogin(error = ''): void {
  main.replaceChildren();
  who.textContent = '';
  logout.hidden = true;
  login.hidden = false;
  byId('login-error').textContent = error;
  byId<HTMLInputElement>('token').focus();
}

async function renderRunList(me: Identity): Promise<void> {
  const status = new URLSearchParams(location.search).get('status') ?? '';
  const runs = await api.runs(status || undefined);
  const filter = h('select', { id: 'status-filter', 'aria-label': 'status' }, h('option', { value: '' }, 'any status'));
  for (const st of STATUSES) filter.append(h('option', { value: st, selected: st === status }, st));
  filter.addEventListener('change', () => location.assign(filter.value ? `/ui?status=${filter.value}` : '/ui'));
  const rows = runs.map((r) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: `/ui/runs/${encodeURIComponent(r.workflowId)}`, class: 'mono' }, r.workflowId)),
      h('td', {}, r.model ?? '–'),
      h('td', {}, badge(r.status)),
      h('td', {}, r.stage ?? '–'),
      h('td', {}, r.submitter === me.subject ? `${r.submitter} (you)` : (r.submitter ?? '–')),
      h('td', {}, when(r.startTime)),
    ),
  );
  const head = ['run', 'model', 'status', 'stage', 'submitter', 'started'].map((t) => h('th', {}, t));
  main.replaceChildren(
    card(
      'runs',
      'Runs',
      h('p', {}, filter),
      runs.length
        ? h('table', {}, h('thead', {}, h('tr', {}, ...head)), h('tbody', {}, ...rows))
        : h('p', { class: 'muted' }, 'No runs.'),
    ),
  );
  main.dataset.status = 'listed';
}

async function start(): Promise<void> {
  if (!session.token()) return showLogin();
  let me: Identity;
  try {
    me = await api.me();
  } catch (err) {
    session.clear();
    return showLogin(err instanceof ApiError ? `Token refused: ${err.message}` : String(err));
  }
  login.hidden = true;
  who.textContent = `${me.subject} (${me.role})`;
  logout.hidden = false;
  const match = /^\/ui\/runs\/([^/]+)$/.exec(location.pathname);
  try {
    await (match ? renderRunPage(main, decodeURIComponent(match[1]), me) : renderRunList(me));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showLogin(`Signed out: ${err.message}`);
    const text = err instanceof ApiError ? `${err.status}: ${err.message}` : String(err);
    main.replaceChildren(card('error', 'Could not load this page', h('p', { class: 'error' }, text)));
  }
}

login.addEventListener('submit', (event) => {
  event.preventDefault();
  session.save(byId<HTMLInputElement>('token').value);
  byId<HTMLInputElement>('token').value = '';
  void start();
});
logout.addEventListener('click', () => {
  session.clear();
  showLogin();
});
void start();
