/** catalog's API: products and categories. */
import {
  category,
  categoryList,
  categoryRequest,
  product,
  productListQuery,
  productPage,
  productReplaceRequest,
  productRequest,
} from '@meshmart/contracts/catalog';
import { productId } from '@meshmart/contracts/common';
import { z } from 'zod';
import { calleeApi, service } from './callee.ts';

/** A product's id in a gateway path; inventory and recommendations name products the same way. */
export const productIdParams = z.strictObject({ id: productId });
const catalog = service('catalog');

export const catalogApi = calleeApi({
  tag: 'catalog',
  requests: { ProductRequest: productRequest, ProductReplaceRequest: productReplaceRequest, CategoryRequest: categoryRequest },
  responses: { Product: product, ProductPage: productPage, Category: category, CategoryList: categoryList },
  routes: [
    {
      method: 'GET',
      path: '/api/products',
      summary: 'List products, filtered and sorted',
      access: 'public',
      query: productListQuery,
      success: { status: 200, description: 'One page of products', schema: productPage },
      target: catalog('/products'),
    },
    {
      method: 'GET',
      path: '/api/products/:id',
      summary: 'One product',
      access: 'public',
      params: productIdParams,
      success: { status: 200, description: 'Product', schema: product },
      errors: [404],
      target: catalog('/products/:id'),
    },
    {
      method: 'POST',
      path: '/api/products',
      summary: 'Create a product (admin role)',
      access: 'admin',
      body: productRequest,
      success: { status: 201, description: 'The new product', schema: product },
      target: catalog('/products'),
    },
    {
      method: 'PUT',
      path: '/api/products/:id',
      summary: 'Replace what describes a product (admin role)',
      access: 'admin',
      params: productIdParams,
      body: productReplaceRequest,
      success: { status: 200, description: 'Updated product', schema: product },
      errors: [404, 409],
      target: catalog('/products/:id'),
    },
    {
      method: 'DELETE',
      path: '/api/products/:id',
      summary: 'Delete a product (admin role)',
      access: 'admin',
      params: productIdParams,
      success: { status: 204, description: 'Deleted' },
      errors: [404],
      target: catalog('/products/:id'),
    },
    {
      method: 'GET',
      path: '/api/categories',
      summary: 'Categories with their product counts',
      access: 'public',
      success: { status: 200, description: 'Categories', schema: categoryList },
      target: catalog('/categories'),
    },
    {
      method: 'POST',
      path: '/api/categories',
      summary: 'Create a category (admin role)',
      access: 'admin',
      body: categoryRequest,
      success: { status: 201, description: 'The new category', schema: category },
      errors: [409],
      target: catalog('/categories'),
    },
  ],
});
