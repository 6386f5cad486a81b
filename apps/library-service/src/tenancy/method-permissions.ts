// The permission each BookLibraryService RPC needs. The catalogue is shared: reading it is an organisation
// permission, publishing to it a platform-admin one. Everything about instances is the caller's organisation's:
// creating, changing, suspending and deleting one is instances:write.
import { permissions, type MethodPermissions } from '@bdk/auth';
import { BookLibraryService } from '@bdk/proto';

export const libraryMethodPermissions: MethodPermissions = {
  [BookLibraryService.typeName]: {
    createBook: permissions.booksPublish,
    deleteBook: permissions.booksPublish,
    getBook: permissions.booksRead,
    listBooks: permissions.booksRead,
    createBookInstance: permissions.instancesWrite,
    deleteBookInstance: permissions.instancesWrite,
    updateBookInstance: permissions.instancesWrite,
    suspendBookInstance: permissions.instancesWrite,
    resumeBookInstance: permissions.instancesWrite,
    getBookInstance: permissions.instancesRead,
    listBookInstances: permissions.instancesRead,
    rotateInstanceCredentials: permissions.credentialsRotate,
    rotateWebhookSecret: permissions.credentialsRotate,
  },
};
