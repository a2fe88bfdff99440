// Types of scripts/cli-bundle.mjs for the TypeScript tests that import it.
export declare const root: string;
export declare const bundleDir: string;
export declare const stampFile: string;
export declare function sourceDigest(dir?: string): string;
export declare function bundleIsFresh(stamp?: string, sources?: string): boolean;
