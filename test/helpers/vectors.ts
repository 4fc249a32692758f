// The vectors live in the shared harness (fuzz uses them too); this path stays for the tests that import it.
export * from '../../harness/vectors.js'
