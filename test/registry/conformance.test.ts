// Mirrors the OCI distribution-spec conformance suite (github.com/opencontainers/distribution-spec,
// conformance/0{1,2,3,4}_*_test.go and setup.go at tag v1.1.1): the Go/ginkgo suite cannot be built
// offline here, so every ginkgo spec of the four workflows is one test() below, in the suite's order
// and with its text, sending the same requests and asserting what it asserts, run as if with
//   OCI_TEST_PULL=1 OCI_TEST_PUSH=1 OCI_TEST_CONTENT_DISCOVERY=1 OCI_TEST_CONTENT_MANAGEMENT=1
//   OCI_CROSSMOUNT_NAMESPACE unset (a fresh conformance-<uuid>), OCI_DELETE_MANIFEST_BEFORE_BLOBS unset (true)
// and OCI_AUTOMATIC_CROSSMOUNT unset. That is 79 specs of which the suite skips 5 at run time, leaving its
// 74 checks. Here nothing is skipped: the two setup-from-environment specs are left out (setup pushes its
// own content), the 202-only mount spec runs on a digest no repository holds, the "automatic content
// discovery disabled" spec runs as it would with OCI_AUTOMATIC_CROSSMOUNT=0, and the "enabled" one is left
// out: a mount without ?from= is never done (it would let any repository reach any blob by digest), as
// in distribution; the spec allows either. Where the suite accepts a set of statuses the same set is accepted; where it
// only checks something conditionally (a header "if present", a filter "if applied", a push it merely
// warns about, a spec it runs only after a 201) the strict branch is asserted. Also asserted, from main
// after v1.1.1 (still the same suite; HEAD has since replaced it with an unreleased redesign): tags listed
// in sorted order, with TEST<n> tags pushed too (a24ca81); `last` excluded from the next page (03b7b0b);
// Range covering the whole blob after the second chunk (d9f703c).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { OCI_INDEX, OCI_MANIFEST, request, sha256, startRegistry, tempRoot, type Res, type Running } from './helpers.js';

// --- the suite's test data (setup.go init), serialized as Go's json.MarshalIndent(v, "", "\t") does ---

const goJSON = (v: unknown) => Buffer.from(JSON.stringify(v, null, '\t'));
const b64 = (b: Buffer) => b.toString('base64');
const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
const OCTET = 'application/octet-stream';
type Desc = Record<string, unknown>;

/** a descriptor with Go's field order; newUnspecifiedField has no omitempty, so it is null when unset */
function desc(mediaType: string, content: Buffer, o: { annotations?: Record<string, string>; data?: Buffer; unspecified?: string } = {}): Desc {
  const d: Desc = { mediaType, digest: sha256(content), size: content.length };
  if (o.annotations) d.annotations = o.annotations;
  if (o.data) d.data = b64(o.data);
  d.newUnspecifiedField = o.unspecified === undefined ? null : b64(Buffer.from(o.unspecified));
  return d;
}

function randomAuthor(): string {
  const letters = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-';
  return Array.from({ length: 16 }, () => letters[randomInt(letters.length)]).join('');
}

// the suite makes one per workflow bit (16); indexes 0-4 are the ones it uses
const configs = Array.from({ length: 5 }, () =>
  goJSON({ author: randomAuthor(), architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
const layerBlob = Buffer.from(
  'H4sIAAAAAAAAA+3OQQrCMBCF4a49xXgBSUnaHMCTRBptQRNpp6i3t0UEV7oqIv7fYgbmzeJpHHSjVy0' +
  'WZCa1c/MufWVe94N3RWlrZ72x3k/30nhbFWKWLPU0Dhp6keJ8im//PuU/6pZH2WVtYx8b0Sz7LjWSR5VLG6YRBumSzOlGtjkd+qD' +
  'jMWiX07Befbs7AAAAAAAAAAAAAAAAAPyzO34MnqoAKAAA', 'base64');
const configDesc = (c: Buffer) => desc(CONFIG_TYPE, c, { data: c, unspecified: 'hello world' });
const manifests = configs.map((c) => goJSON({
  schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDesc(c),
  layers: [desc('application/vnd.oci.image.layer.v1.tar+gzip', layerBlob)],
}));
const md = manifests.map((m) => sha256(m));
// no mediaType field: the suite leaves it out
const emptyLayerManifest = goJSON({ schemaVersion: 2, config: configDesc(configs[1]), layers: [] });
const emptyLayerTestTag = 'emptylayer';
const testTagName = 'tagtest0';
const nonexistentManifest = '.INVALID_MANIFEST_NAME';
const invalidManifestContent = Buffer.from('blablabla');
const testBlobA = randomBytes(42);
const testBlobB = randomBytes(42);
const chunk1 = testBlobB.subarray(0, 22);
const chunk2 = testBlobB.subarray(22);
const chunk1Range = `0-${chunk1.length - 1}`;
const chunk2Range = `${chunk1.length}-${testBlobB.length - 1}`;
const dummyDigest = sha256('hello world');

const emptyJSON = Buffer.from('{}');
const emptyJSONDesc = desc('application/vnd.oci.empty.v1+json', emptyJSON);
const refBlobA = Buffer.from('NHL Peanut Butter on my NHL bagel');
const refBlobB = Buffer.from('NBA Strawberry Jam on my NBA croissant');
const artifactTypeA = 'application/vnd.nhl.peanut.butter.bagel';
const artifactTypeB = 'application/vnd.nba.strawberry.jam.croissant';
const artifactTypeIndex = 'application/vnd.food.stand';
const annotationKey = 'org.opencontainers.conformance.test';
const subjectOf = (m: Buffer) => desc(OCI_MANIFEST, m);
const refConfigArtifact = (type: string, blob: Buffer, note: string) => goJSON({
  schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc(type, blob), layers: [emptyJSONDesc],
  subject: subjectOf(manifests[4]), annotations: { [annotationKey]: note },
});
const refLayerArtifact = (type: string, blob: Buffer, subject: Buffer, note?: string) => goJSON({
  schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: type, config: emptyJSONDesc, layers: [desc(type, blob)],
  subject: subjectOf(subject), ...(note ? { annotations: { [annotationKey]: note } } : {}),
});
const refsAConfig = refConfigArtifact(artifactTypeA, refBlobA, 'test config a');
const refsBConfig = refConfigArtifact(artifactTypeB, refBlobB, 'test config b');
const refsALayer = refLayerArtifact(artifactTypeA, refBlobA, manifests[4], 'test layer a');
const refsBLayer = refLayerArtifact(artifactTypeB, refBlobB, manifests[4], 'test layer b');
const refsCLayer = refLayerArtifact(artifactTypeB, refBlobB, manifests[3]); // subject never pushed
const refsIndex = goJSON({
  schemaVersion: 2, mediaType: OCI_INDEX, artifactType: artifactTypeIndex,
  manifests: [desc(OCI_MANIFEST, refsAConfig), desc(OCI_MANIFEST, refsALayer)],
  subject: subjectOf(manifests[4]), annotations: { [annotationKey]: 'test index' },
});
const annotationValues: Record<string, string> = {
  [sha256(refsAConfig)]: 'test config a', [sha256(refsBConfig)]: 'test config b',
  [sha256(refsALayer)]: 'test layer a', [sha256(refsBLayer)]: 'test layer b', [sha256(refsIndex)]: 'test index',
};
const ERROR_CODES = ['BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID', 'MANIFEST_UNKNOWN', 'MANIFEST_UNVERIFIED', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'TAG_INVALID',
  'UNAUTHORIZED', 'DENIED', 'UNSUPPORTED'];

// --- the environment the suite would get, and reggie's request shapes ---

const NAMESPACE = 'conformance/repo1'; // OCI_NAMESPACE
const CROSSMOUNT_NAMESPACE = `conformance-${randomUUID()}`; // the suite's default when OCI_CROSSMOUNT_NAMESPACE is unset
const DELETE_MANIFEST_BEFORE_BLOBS = true;

let port = 0;
/** reggie's client.Do: `<name>` is the namespace; an absent body goes out as Content-Length: 0 for POST/PUT/PATCH */
function call(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Res> {
  return request(port, method, path.replace('<name>', NAMESPACE), body, headers);
}
/** reggie's GetRelativeLocation: the Location's path and query */
function rel(r: Res): string {
  const l = r.headers.location ?? '';
  if (!/^https?:/.test(l)) return l;
  const u = new URL(l);
  return u.pathname + u.search;
}
const withQuery = (path: string, q: Record<string, string>) => `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams(q)}`;
const is2xx = (s: number) => s >= 200 && s < 300;

/** the status must be one the suite accepts ('2xx' for its BeNumerically(">=", 200), BeNumerically("<", 300)) */
function expectStatus(r: Res, ...allowed: Array<number | '2xx'>): void {
  const ok = allowed.some((a) => (a === '2xx' ? is2xx(r.status) : r.status === a));
  assert.ok(ok, `status ${r.status} not in [${allowed.join(', ')}]: ${r.body.toString('utf8').slice(0, 300)}`);
}

/** the suite's setup blob push: POST a session, PUT the whole blob with ?digest= */
async function postPutBlob(content: Buffer): Promise<Res> {
  const s = await call('POST', '/v2/<name>/blobs/uploads/');
  return call('PUT', withQuery(rel(s), { digest: sha256(content) }), content, { 'Content-Type': OCTET, 'Content-Length': String(content.length) });
}
const putManifest = (ref: string, content: Buffer, type = OCI_MANIFEST) =>
  call('PUT', `/v2/<name>/manifests/${ref}`, content, { 'Content-Type': type });
const acceptOCI = { Accept: OCI_MANIFEST };
const tagsOf = (r: Res): string[] => {
  try {
    return (JSON.parse(r.body.toString('utf8')) as { tags?: string[] | null }).tags ?? [];
  } catch {
    return [];
  }
};

/** the referrers checks: 200, an OCI index body, each entry carrying exactly the annotation the suite set */
function referrersIndex(r: Res): Array<{ digest: string; annotations?: Record<string, string> }> {
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], OCI_INDEX);
  return (r.json() as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> }).manifests ?? [];
}
function expectAnnotated(list: Array<{ digest: string; annotations?: Record<string, string> }>): void {
  for (const m of list) {
    assert.equal(Object.keys(m.annotations ?? {}).length, 1, `annotations of ${m.digest}`);
    assert.equal(m.annotations?.[annotationKey], annotationValues[m.digest]);
  }
}

describe('OCI Distribution Conformance Tests', () => {
  let reg: Running;
  let cleanup: () => Promise<void>;
  before(async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    reg = await startRegistry(t.root, { deleteEnabled: true });
    port = reg.port;
  });
  after(async () => {
    await reg.close();
    await cleanup();
  });

  describe('Pull', () => {
    let tag = '';
    describe('Setup', () => {
      test('Populate registry with test blob', async () => expectStatus(await postPutBlob(configs[0]), '2xx'));
      test('Populate registry with test blob', async () => expectStatus(await postPutBlob(configs[1]), '2xx'));
      test('Populate registry with test layer', async () => expectStatus(await postPutBlob(layerBlob), '2xx'));
      test('Populate registry with test manifest', async () => {
        tag = testTagName;
        expectStatus(await putManifest(tag, manifests[0]), '2xx');
      });
      test('Populate registry with test manifest', async () => expectStatus(await putManifest(md[1], manifests[1]), '2xx'));
    });

    describe('Pull blobs', () => {
      test('HEAD request to nonexistent blob should result in 404 response', async () => {
        assert.equal((await call('HEAD', `/v2/<name>/blobs/${dummyDigest}`)).status, 404);
      });
      test('HEAD request to existing blob should yield 200', async () => {
        const r = await call('HEAD', `/v2/<name>/blobs/${sha256(configs[0])}`);
        assert.equal(r.status, 200);
        assert.equal(r.headers['docker-content-digest'], sha256(configs[0])); // the suite: if present
      });
      test('GET nonexistent blob should result in 404 response', async () => {
        assert.equal((await call('GET', `/v2/<name>/blobs/${dummyDigest}`)).status, 404);
      });
      test('GET request to existing blob URL should yield 200', async () => {
        const r = await call('GET', `/v2/<name>/blobs/${sha256(configs[0])}`);
        assert.equal(r.status, 200);
        assert.deepEqual(r.body, configs[0]); // not asserted by the suite
      });
    });

    describe('Pull manifests', () => {
      const head = async (ref: string, digest: string) => {
        const r = await call('HEAD', `/v2/<name>/manifests/${ref}`, undefined, acceptOCI);
        assert.equal(r.status, 200);
        assert.equal(r.headers['docker-content-digest'], digest); // the suite: if present
      };
      test('HEAD request to nonexistent manifest should return 404', async () => {
        assert.equal((await call('HEAD', `/v2/<name>/manifests/${nonexistentManifest}`)).status, 404);
      });
      test('HEAD request to manifest[0] path (digest) should yield 200 response', () => head(md[0], md[0]));
      test('HEAD request to manifest[1] path (digest) should yield 200 response', () => head(md[1], md[1]));
      test('HEAD request to manifest path (tag) should yield 200 response', async () => {
        assert.notEqual(tag, '');
        await head(tag, md[0]);
      });
      test('GET nonexistent manifest should return 404', async () => {
        assert.equal((await call('GET', `/v2/<name>/manifests/${nonexistentManifest}`)).status, 404);
      });
      test('GET request to manifest[0] path (digest) should yield 200 response', async () => {
        assert.equal((await call('GET', `/v2/<name>/manifests/${md[0]}`, undefined, acceptOCI)).status, 200);
      });
      test('GET request to manifest[1] path (digest) should yield 200 response', async () => {
        assert.equal((await call('GET', `/v2/<name>/manifests/${md[1]}`, undefined, acceptOCI)).status, 200);
      });
      test('GET request to manifest path (tag) should yield 200 response', async () => {
        assert.notEqual(tag, '');
        assert.equal((await call('GET', `/v2/<name>/manifests/${tag}`, undefined, acceptOCI)).status, 200);
      });
    });

    describe('Error codes', () => {
      test('400 response body should contain OCI-conforming JSON message', async () => {
        // the suite sets this body too, but resty drops bodies on GET (AllowGetMethodPayload is off)
        void invalidManifestContent;
        const r = await call('GET', '/v2/<name>/manifests/sha256:totallywrong', undefined, { 'Content-Type': OCI_MANIFEST });
        expectStatus(r, 400, 404);
        if (r.status === 400) {
          const errors = (r.json() as { errors: Array<{ code: string }> }).errors;
          assert.ok(errors.length > 0);
          assert.ok(ERROR_CODES.includes(errors[0].code), errors[0].code);
        }
      });
    });

    describe('Teardown', () => {
      const delManifest = async (d: string) => expectStatus(await call('DELETE', `/v2/<name>/manifests/${d}`), '2xx', 405);
      const delBlob = async (d: string) => expectStatus(await call('DELETE', `/v2/<name>/blobs/${d}`), '2xx', 404, 405);
      if (DELETE_MANIFEST_BEFORE_BLOBS) {
        test('Delete manifest[0] created in setup', () => delManifest(md[0]));
        test('Delete manifest[1] created in setup', () => delManifest(md[1]));
      }
      test('Delete config[0] blob created in setup', () => delBlob(sha256(configs[0])));
      test('Delete config[1] blob created in setup', () => delBlob(sha256(configs[1])));
      test('Delete layer blob created in setup', () => delBlob(sha256(layerBlob)));
    });
  });

  describe('Push', () => {
    let lastResponse: Res | undefined;
    let prevResponse: Res | undefined;
    let emptyLayerManifestRef = '';
    const last = (): Res => {
      assert.ok(lastResponse, 'no response from the previous spec');
      return lastResponse;
    };

    describe('Blob Upload Streamed', () => {
      test('PATCH request with blob in body should yield 202 response', async () => {
        const s = await call('POST', '/v2/<name>/blobs/uploads/');
        assert.ok(s.headers.location);
        lastResponse = await call('PATCH', rel(s), testBlobA, { 'Content-Type': OCTET });
        assert.equal(lastResponse.status, 202);
      });
      test('PUT request to session URL with digest should yield 201 response', async () => {
        // the suite sets Content-Length: 42 with no body; Go sends the body's length (0)
        const r = await call('PUT', withQuery(rel(last()), { digest: sha256(testBlobA) }), undefined, { 'Content-Type': OCTET });
        assert.equal(r.status, 201);
        assert.ok(r.headers.location);
      });
    });

    describe('Blob Upload Monolithic', () => {
      const c1 = { 'Content-Length': String(configs[1].length), 'Content-Type': OCTET };
      test('GET nonexistent blob should result in 404 response', async () => {
        assert.equal((await call('GET', `/v2/<name>/blobs/${dummyDigest}`)).status, 404);
      });
      test('POST request with digest and blob should yield a 201 or 202', async () => {
        const r = await call('POST', withQuery('/v2/<name>/blobs/uploads/', { digest: sha256(configs[1]) }), configs[1], c1);
        assert.ok(r.headers.location);
        expectStatus(r, 201, 202);
        lastResponse = r;
      });
      test('GET request to blob URL from prior request should yield 200 or 404 based on response code', async () => {
        const r = await call('GET', `/v2/<name>/blobs/${sha256(configs[1])}`);
        assert.equal(r.status, last().status === 202 ? 404 : 200);
      });
      test('POST request should yield a session ID', async () => {
        lastResponse = await call('POST', '/v2/<name>/blobs/uploads/');
        assert.equal(lastResponse.status, 202);
      });
      test('PUT upload of a blob should yield a 201 Response', async () => {
        const r = await call('PUT', withQuery(rel(last()), { digest: sha256(configs[1]) }), configs[1], c1);
        assert.ok(r.headers.location);
        assert.equal(r.status, 201);
      });
      test('GET request to existing blob should yield 200 response', async () => {
        assert.equal((await call('GET', `/v2/<name>/blobs/${sha256(configs[1])}`)).status, 200);
      });
      test('PUT upload of a layer blob should yield a 201 Response', async () => {
        const r = await postPutBlob(layerBlob);
        assert.ok(r.headers.location);
        assert.equal(r.status, 201);
      });
      test('GET request to existing layer should yield 200 response', async () => {
        assert.equal((await call('GET', `/v2/<name>/blobs/${sha256(layerBlob)}`)).status, 200);
      });
    });

    describe('Blob Upload Chunked', () => {
      const chunk = (range: string, body: Buffer) => ({ 'Content-Type': OCTET, 'Content-Length': String(body.length), 'Content-Range': range });
      test('Out-of-order blob upload should return 416', async () => {
        const s = await call('POST', '/v2/<name>/blobs/uploads/', undefined, { 'Content-Length': '0' });
        assert.ok(s.headers.location);
        // the suite rebuilds its blob when OCI-Chunk-Min-Length exceeds its first chunk; this registry sets none
        assert.equal(s.headers['oci-chunk-min-length'], undefined);
        const r = await call('PATCH', rel(s), chunk2, chunk(chunk2Range, chunk2));
        assert.equal(r.status, 416);
      });
      test('PATCH request with first chunk should return 202', async () => {
        const s = await call('POST', '/v2/<name>/blobs/uploads/', undefined, { 'Content-Length': '0' });
        assert.ok(s.headers.location);
        prevResponse = s;
        lastResponse = await call('PATCH', rel(s), chunk1, chunk(chunk1Range, chunk1));
        assert.equal(lastResponse.status, 202);
        assert.equal(lastResponse.headers.range, chunk1Range);
      });
      test('Retry previous blob chunk should return 416', async () => {
        assert.ok(prevResponse);
        const r = await call('PATCH', rel(prevResponse), chunk1, chunk(chunk1Range, chunk1));
        assert.equal(r.status, 416);
      });
      test('Get on stale blob upload should return 204 with a range and location', async () => {
        assert.ok(prevResponse);
        const r = await call('GET', rel(prevResponse));
        assert.equal(r.status, 204);
        assert.ok(r.headers.location);
        assert.equal(r.headers.range, chunk1Range);
        lastResponse = r;
      });
      test('PATCH request with second chunk should return 202', async () => {
        const r = await call('PATCH', rel(last()), chunk2, chunk(chunk2Range, chunk2));
        assert.equal(r.status, 202);
        assert.equal(r.headers.range, `0-${testBlobB.length - 1}`); // added on main after v1.1.1
        assert.ok(r.headers.location);
        lastResponse = r;
      });
      test('PUT request with digest should return 201', async () => {
        const r = await call('PUT', withQuery(rel(last()), { digest: sha256(testBlobB) }), undefined, { 'Content-Length': '0', 'Content-Type': OCTET });
        assert.equal(r.status, 201);
        assert.ok(r.headers.location);
        assert.deepEqual((await call('GET', `/v2/<name>/blobs/${sha256(testBlobB)}`)).body, testBlobB); // not asserted by the suite
      });
    });

    describe('Cross-Repository Blob Mount', () => {
      const uploads = `/v2/${CROSSMOUNT_NAMESPACE}/blobs/uploads/`;
      test('Cross-mounting of a blob without the from argument should yield session id', async () => {
        const r = await call('POST', withQuery(uploads, { mount: dummyDigest }));
        assert.equal(r.status, 202);
        assert.ok(r.headers.location);
      });
      test("POST request to mount another repository's blob should return 201 or 202", async () => {
        lastResponse = await call('POST', withQuery(uploads, { mount: sha256(testBlobA), from: NAMESPACE }));
        expectStatus(lastResponse, 201, 202);
      });
      // the suite runs the next spec only after a 201 and skips the one after it; the 74 checks need the 201
      test('GET request to test digest within cross-mount namespace should return 200', async () => {
        assert.equal(last().status, 201, 'RunOnlyIf(201): the registry mounts with ?from=');
        assert.equal(rel(last()), `/v2/${CROSSMOUNT_NAMESPACE}/blobs/${sha256(testBlobA)}`);
        assert.equal((await call('GET', rel(last()))).status, 200);
      });
      test('Cross-mounting of nonexistent blob should yield session id', async () => {
        // the suite sends this only after a 202 to the mount above; here: a digest no repository holds
        const r = await call('POST', withQuery(uploads, { mount: sha256(randomBytes(32)), from: NAMESPACE }));
        assert.equal(r.status, 202);
        assert.ok(r.headers.location);
      });
      test('Cross-mounting without from, and automatic content discovery disabled should return a 202', async () => {
        assert.equal(last().status, 201, 'RunOnlyIf(201)');
        assert.equal((await call('POST', withQuery(uploads, { mount: sha256(testBlobA) }))).status, 202);
      });
    });

    describe('Manifest Upload', () => {
      test('GET nonexistent manifest should return 404', async () => {
        assert.equal((await call('GET', `/v2/<name>/manifests/${nonexistentManifest}`)).status, 404);
      });
      test('PUT should accept a manifest upload', async () => {
        for (let i = 0; i < 4; i++) {
          const r = await putManifest(`test${i}`, manifests[1]);
          assert.ok(r.headers.location);
          assert.equal(r.status, 201);
        }
      });
      test('Registry should accept a manifest upload with no layers', async () => {
        const r = await putManifest(emptyLayerTestTag, emptyLayerManifest);
        assert.equal(r.status, 201, 'the suite only warns: image manifest with no layers is not supported');
        assert.ok(r.headers.location);
        emptyLayerManifestRef = r.headers.location;
      });
      test('GET request to manifest URL (digest) should yield 200 response', async () => {
        assert.equal((await call('GET', `/v2/<name>/manifests/${md[1]}`, undefined, acceptOCI)).status, 200);
      });
    });

    describe('Teardown', () => {
      const delBlob = async (d: string) => expectStatus(await call('DELETE', `/v2/<name>/blobs/${d}`), '2xx', 404, 405);
      test('Delete manifest created in tests', async () => {
        expectStatus(await call('DELETE', `/v2/<name>/manifests/${md[1]}`), '2xx', 405);
        if (emptyLayerManifestRef) expectStatus(await call('DELETE', `/v2/<name>/manifests/${sha256(emptyLayerManifest)}`), '2xx', 405);
      });
      test('Delete config blob created in tests', () => delBlob(sha256(configs[1])));
      test('Delete layer blob created in setup', () => delBlob(sha256(layerBlob)));
    });
  });

  describe('Content Discovery', () => {
    let numTags = 4;
    let tagList: string[] = [];
    describe('Setup', () => {
      test('Populate registry with test blob', async () => expectStatus(await postPutBlob(configs[2]), '2xx'));
      test('Populate registry with test layer', async () => expectStatus(await postPutBlob(layerBlob), '2xx'));
      test('Populate registry with test tags', async () => {
        for (let i = 0; i < numTags; i++) {
          for (const t of [`test${i}`, `TEST${i}`]) expectStatus(await putManifest(t, manifests[2]), '2xx'); // TEST<n>: main, a24ca81
        }
        tagList = tagsOf(await call('GET', '/v2/<name>/tags/list'));
      });
      test('References setup', async () => {
        const pushed = async (r: Res | Promise<Res>, subject?: string) => {
          const res = await r;
          expectStatus(res, '2xx');
          if (subject) assert.equal(res.headers['oci-subject'], subject);
        };
        assert.equal(emptyJSONDesc.digest, 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
        await pushed(postPutBlob(emptyJSON));
        await pushed(postPutBlob(refBlobA)); // before the subject exists
        await pushed(putManifest(sha256(refsAConfig), refsAConfig), md[4]);
        await pushed(putManifest(sha256(refsALayer), refsALayer), md[4]);
        await pushed(putManifest(sha256(refsIndex), refsIndex, OCI_INDEX), md[4]);
        await pushed(postPutBlob(configs[4]));
        await pushed(postPutBlob(layerBlob));
        await pushed(putManifest(testTagName, manifests[4]));
        await pushed(postPutBlob(refBlobB)); // after the subject exists
        await pushed(putManifest(sha256(refsBConfig), refsBConfig), md[4]);
        await pushed(putManifest(sha256(refsBLayer), refsBLayer), md[4]);
        await pushed(putManifest(sha256(refsCLayer), refsCLayer), md[3]); // a subject never pushed
      });
    });

    describe('Test content discovery endpoints (listing tags)', () => {
      const list = (q?: Record<string, string>) => call('GET', q ? withQuery('/v2/<name>/tags/list', q) : '/v2/<name>/tags/list');
      test('GET request to list tags should yield 200 response', async () => {
        const r = await list();
        assert.equal(r.status, 200);
        tagList = tagsOf(r);
        numTags = tagList.length;
        assert.equal(numTags, 9); // test0-3, TEST0-3, tagtest0: not asserted by the suite
        // main (a24ca81): lexical (case-insensitive) or ASCII order
        const lexical = [...tagList].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
        const ascii = [...tagList].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        assert.ok(JSON.stringify(tagList) === JSON.stringify(lexical) || JSON.stringify(tagList) === JSON.stringify(ascii), tagList.join(','));
      });
      test('GET number of tags should be limitable by `n` query parameter', async () => {
        const numResults = Math.floor(numTags / 2);
        const r = await list({ n: String(numResults) });
        assert.equal(r.status, 200);
        tagList = tagsOf(r);
        assert.equal(tagList.length, numResults);
      });
      test('GET start of tag is set by `last` query parameter', async () => {
        const numResults = Math.floor(numTags / 2);
        const first = await list({ n: String(numResults) });
        assert.equal(first.status, 200); // main (03b7b0b)
        tagList = tagsOf(first);
        const lastTag = tagList[numResults - 1];
        const r = await list({ n: String(numResults), last: lastTag });
        assert.equal(r.status, 200);
        // v1.1.1 checks the first page again (trivially true); main (03b7b0b) checks the second page
        assert.ok(tagList.length <= numResults && tagList.includes(lastTag));
        const next = tagsOf(r);
        assert.ok(next.length <= numResults);
        assert.ok(!next.includes(lastTag), `${lastTag} in ${next.join(',')}`);
      });
    });

    describe('Test content discovery endpoints (listing references)', () => {
      const referrers = (d: string, q?: Record<string, string>) => call('GET', q ? withQuery(`/v2/<name>/referrers/${d}`, q) : `/v2/<name>/referrers/${d}`);
      test('GET request to nonexistent blob should result in empty 200 response', async () => {
        assert.equal(referrersIndex(await referrers(dummyDigest)).length, 0);
      });
      test('GET request to existing blob should yield 200', async () => {
        const list = referrersIndex(await referrers(md[4]));
        assert.equal(list.length, 5);
        assert.notEqual(list[0].digest, list[1].digest);
        expectAnnotated(list);
      });
      test('GET request to existing blob with filter should yield 200', async () => {
        const r = await referrers(md[4], { artifactType: artifactTypeA });
        const list = referrersIndex(r);
        assert.equal(r.headers['oci-filters-applied'], 'artifactType', 'the suite only warns when filtering is not implemented');
        assert.equal(list.length, 2);
        expectAnnotated(list);
      });
      test('GET request to missing manifest should yield 200', async () => {
        const list = referrersIndex(await referrers(md[3]));
        assert.equal(list.length, 1);
        assert.equal(list[0].digest, sha256(refsCLayer));
      });
    });

    describe('Teardown', () => {
      const accept = async (method: string, path: string) => expectStatus(await call(method, path), '2xx', 404, 405);
      const delManifest = (d: string) => accept('DELETE', `/v2/<name>/manifests/${d}`);
      const delBlob = (d: string) => accept('DELETE', `/v2/<name>/blobs/${d}`);
      test('Delete created manifest & associated tags', async () => {
        for (const m of [refsIndex, manifests[2], manifests[4], refsAConfig, refsALayer, refsBConfig, refsBLayer, refsCLayer]) await delManifest(sha256(m));
      });
      test('Delete config blob created in tests', () => delBlob(sha256(configs[2])));
      test('Delete layer blob created in setup', () => delBlob(sha256(layerBlob)));
      test('References teardown', async () => {
        for (const m of [refsIndex, refsAConfig, refsALayer, manifests[4], refsBConfig, refsBLayer]) await delManifest(sha256(m));
        for (const b of [configs[4], refBlobA, refBlobB, emptyJSON]) await delBlob(sha256(b));
      });
    });
  });

  describe('Content Management', () => {
    let tagToDelete = '';
    let numTags = 0;
    let blobDeleteAllowed = true;
    describe('Setup', () => {
      test('Populate registry with test config blob', async () => expectStatus(await postPutBlob(configs[3]), '2xx'));
      test('Populate registry with test layer', async () => expectStatus(await postPutBlob(layerBlob), '2xx'));
      test('Populate registry with test tag', async () => {
        tagToDelete = testTagName;
        expectStatus(await putManifest(tagToDelete, manifests[3]), '2xx');
      });
      test('Check how many tags there are before anything gets deleted', async () => {
        const r = await call('GET', '/v2/<name>/tags/list');
        assert.equal(r.status, 200);
        numTags = (r.json() as { tags: string[] | null }).tags?.length ?? 0;
      });
    });

    describe('Manifest delete', () => {
      test('DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)', async () => {
        const r = await call('DELETE', `/v2/<name>/manifests/${tagToDelete}`);
        expectStatus(r, 400, 202, 405);
        if (r.status === 400) assert.equal((r.json() as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNSUPPORTED');
      });
      test('DELETE request to manifest (digest) should yield 202 response unless already deleted', async () => {
        expectStatus(await call('DELETE', `/v2/<name>/manifests/${md[3]}`), 202, 404);
      });
      test('GET request to deleted manifest URL should yield 404 response, unless delete is disallowed', async () => {
        expectStatus(await call('GET', `/v2/<name>/manifests/${md[3]}`), 404, 200);
      });
      test('GET request to tags list should reflect manifest deletion', async () => {
        const r = await call('GET', '/v2/<name>/tags/list');
        expectStatus(r, 404, 200);
        if (r.status === 200) assert.equal((r.json() as { tags: string[] | null }).tags?.length ?? 0, numTags - 1);
        else assert.equal(numTags - 1, 0);
      });
    });

    describe('Blob delete', () => {
      test('DELETE request to blob URL should yield 202 response', async () => {
        expectStatus(await call('DELETE', `/v2/<name>/blobs/${sha256(configs[3])}`), 202, 404, 405);
        const r = await call('DELETE', `/v2/<name>/blobs/${sha256(layerBlob)}`);
        expectStatus(r, 202, 404, 405);
        if (r.status === 405) blobDeleteAllowed = false;
      });
      test('GET request to deleted blob URL should yield 404 response', async () => {
        assert.ok(blobDeleteAllowed, 'RunOnlyIf(blobDeleteAllowed): the registry is run with deletes enabled');
        assert.equal((await call('GET', `/v2/<name>/blobs/${sha256(configs[3])}`)).status, 404);
      });
    });
  });
});
