// undici's index pulls in fetch, websockets and caches; the CLI imports only the two modules it
// uses to keep cold start down (undici 7 has no exports map, so these paths are stable per version).
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export = Agent;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export = request;
}
