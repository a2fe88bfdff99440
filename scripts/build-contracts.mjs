#!/usr/bin/env node
// Builds the AssemblyScript contracts under contracts/ into contracts/build/*.wasm.
// (Filled in with the contract SDK, issue #3.)
console.log('build-contracts: no contracts yet');
