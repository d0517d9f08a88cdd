import assert from 'node:assert/strict';
import { productListQuery, productReplaceRequest, productRequest } from '../src/catalog.ts';
import { fieldErrors } from '../src/problem.ts';

const fields = (result: { success: boolean; error?: Parameters<typeof fieldErrors>[0] }) =>
  result.error ? fieldErrors(result.error).map((e) => e.field) : [];

describe('catalog input validation', () => {
  const product = { name: 'Kettle', category: 'brewing', priceMinor: 1999, currency: 'EUR' };

  describe('list query', () => {
    it('fills defaults and turns numbers into numbers', () => {
      assert.deepEqual(productListQuery.parse({ minPrice: '100', limit: '5' }), {
        minPrice: 100,
        limit: 5,
        offset: 0,
        sort: 'name',
      });
    });

    it('refuses operator objects, however they arrive', () => {
      for (const value of ['{"$gt":""}', '{"$ne":null}']) {
        assert.deepEqual(fields(productListQuery.safeParse({ category: value })), ['category']);
        assert.deepEqual(fields(productListQuery.safeParse({ minPrice: value })), ['minPrice']);
        assert.deepEqual(fields(productListQuery.safeParse({ inStock: value })), ['inStock']);
      }
      // A parsed object (as a JSON body would give) never passes for a string field.
      assert.deepEqual(fields(productListQuery.safeParse({ q: { $gt: '' } })), ['q']);
      assert.deepEqual(fields(productListQuery.safeParse({ 'category[$gt]': '' })), ['category[$gt]']);
    });

    it('refuses repeated parameters, unknown parameters, bad sorts and pages', () => {
      assert.deepEqual(fields(productListQuery.safeParse({ category: ['tea', 'coffee'] })), ['category']);
      assert.deepEqual(fields(productListQuery.safeParse({ where: 'x' })), ['where']);
      assert.deepEqual(fields(productListQuery.safeParse({ sort: 'stock' })), ['sort']);
      assert.deepEqual(fields(productListQuery.safeParse({ limit: '0' })), ['limit']);
      assert.deepEqual(fields(productListQuery.safeParse({ limit: '101' })), ['limit']);
      assert.deepEqual(fields(productListQuery.safeParse({ offset: '-1' })), ['offset']);
      assert.deepEqual(fields(productListQuery.safeParse({ minPrice: '1e3' })), ['minPrice']);
    });

    it('refuses a price range that is empty', () => {
      assert.deepEqual(fields(productListQuery.safeParse({ minPrice: '500', maxPrice: '100' })), ['minPrice']);
    });
  });

  describe('product bodies', () => {
    it('accepts a minimal product and fills the rest', () => {
      const parsed = productRequest.parse(product);
      assert.equal(parsed.description, '');
      assert.deepEqual(parsed.images, []);
      assert.deepEqual(parsed.attributes, {});
    });

    it('names every bad field: types, operators, unknown fields, non-web image URLs', () => {
      const bad = {
        name: { $gt: '' },
        category: 'Not A Slug',
        priceMinor: -1,
        currency: 'eur',
        images: ['javascript:alert(1)'],
        attributes: { $where: 'x', 'a.b': 'y' },
        stock: 1.5,
        id: 'chosen-by-client',
      };
      assert.deepEqual(fields(productRequest.safeParse(bad)).sort(), [
        'attributes.$where',
        'attributes.a.b',
        'category',
        'currency',
        'id',
        'images.0',
        'name',
        'priceMinor',
        'stock',
      ]);
    });

    it('keeps stock, which is inventory’s, out of product bodies', () => {
      assert.deepEqual(fields(productRequest.safeParse({ ...product, stock: 3 })), ['stock']);
      assert.deepEqual(fields(productReplaceRequest.safeParse({ ...product, stock: 3 })), ['stock']);
    });
  });
});
