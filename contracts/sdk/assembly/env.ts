// Host imports (module `env`, v1 allow-list, CONTRACT_ABI §2). AssemblyScript names the import
// module after the declaring file, so this file must stay `env.ts`; it only emits an import
// for a function that is actually called, so declaring the whole set costs nothing.
// Every pointer argument and result is the address of a Region (§1.2).

export declare function db_read(keyRegion: u32): u32;
export declare function db_write(keyRegion: u32, valueRegion: u32): void;
export declare function db_remove(keyRegion: u32): void;
export declare function addr_validate(humanRegion: u32): u32;
export declare function addr_canonicalize(humanRegion: u32, outRegion: u32): u32;
export declare function addr_humanize(canonicalRegion: u32, outRegion: u32): u32;
export declare function secp256k1_verify(hashRegion: u32, sigRegion: u32, pubkeyRegion: u32): u32;
export declare function ed25519_verify(msgRegion: u32, sigRegion: u32, pubkeyRegion: u32): u32;
export declare function debug(msgRegion: u32): void;
export declare function query_chain(requestRegion: u32): u32;
export declare function check_gas(): u64;
