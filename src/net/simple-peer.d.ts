// simple-peer's prebuilt bundle: the only import of simple-peer that works under Vite 8 without
// node polyfills (docs: /work/shared/NOTES.md). Same API and types as the `simple-peer` package.
declare module 'simple-peer/simplepeer.min.js' {
  import SimplePeer from 'simple-peer';
  export default SimplePeer;
}
