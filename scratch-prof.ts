import { nodeSessionCrypto } from './host/service/session-crypto';
const key = new Uint8Array(32), nonce = new Uint8Array(12), ad = new Uint8Array(0);
const data = new Uint8Array(65520).fill(3);
let t = performance.now();
for (let i = 0; i < 1000; i++) { const s = nodeSessionCrypto.seal(key, nonce, ad, data); nodeSessionCrypto.open(key, nonce, ad, s); }
console.log('seal+open MB/s', 65520*1000/1e6/((performance.now()-t)/1000));
t = performance.now();
for (let i = 0; i < 200; i++) { const a = nodeSessionCrypto.generateKeyPair(); const b = nodeSessionCrypto.generateKeyPair(); nodeSessionCrypto.dh(a.secretKey, b.publicKey); }
console.log('2 keygen + dh ms', (performance.now()-t)/200);
import { createCipheriv, generateKeyPairSync } from 'node:crypto';
t = performance.now(); let n=0;
for (let i=0;i<1000;i++) { const c=createCipheriv('chacha20-poly1305', key, nonce, {authTagLength:16}); c.update(data); c.final(); c.getAuthTag(); n+=data.length; }
console.log('bare encrypt MB/s', n/1e6/((performance.now()-t)/1000));
t = performance.now();
for (let i=0;i<200;i++) generateKeyPairSync('x25519');
console.log('keygen ms', (performance.now()-t)/200);
t = performance.now();
for (let i=0;i<200;i++) { const k = generateKeyPairSync('x25519'); k.publicKey.export({format:'der', type:'spki'}); k.privateKey.export({format:'der', type:'pkcs8'}); }
console.log('keygen+export ms', (performance.now()-t)/200);
