declare module 'node-gyp-build' {
  /** Loads the addon for this platform from `dir`'s prebuilds/ or build/ folder. */
  function load(dir: string): unknown;
  export default load;
}
