import base from './vite.config.js';
export default { ...base, server: { ...base.server, fs: { allow: ['/work'] } } };
