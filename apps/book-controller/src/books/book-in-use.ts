// The book-in-use rules (the finalizer, which instances hold a book, how they are named) live in @bdk/k8s, shared
// with the library-service; the finalizer's name is also reachable here for this app's integration tests.
export { bookInUseFinalizer } from '@bdk/k8s';
