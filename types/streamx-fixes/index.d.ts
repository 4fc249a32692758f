// streamx 2.x's own typings require an argument to end(); at run time it is
// optional, as in Node. This augmentation adds the no-argument form so that
// `stream.end()` type-checks for every streamx Writable and Duplex.
import 'streamx'

declare module 'streamx' {
  interface Writable {
    end (): this
  }
  interface Duplex {
    end (): this
    end (data: unknown): this
  }
}
