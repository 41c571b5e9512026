// The repository's root, for scripts: where package.json is.
import { packageRoot } from '../lib/paths.js';

/** repoRoot: the directory holding package.json. */
export const repoRoot = packageRoot();
