export { fileSystemLoadHandler, fileSystemSaveHandler, MODEL_JSON_FILE, ModelFileError, WEIGHTS_FILE } from './file-system-handler.js';
export { writeFileAtomic } from './atomic-write.js';
