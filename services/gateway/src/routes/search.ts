/** search's API: product search, suggestions and the index rebuild. */
import { rebuildProgress, searchParams, searchResult, suggestions, suggestQuery } from '@meshmart/contracts/search';
import { calleeApi, service } from './callee.ts';

const search = service('search');

export const searchApi = calleeApi({
  tag: 'search',
  routes: [
    {
      method: 'GET',
      path: '/api/search',
      summary: 'Search products: ranked, highlighted, with facet counts over the whole match',
      access: 'public',
      query: searchParams,
      success: { status: 200, description: 'One page of results and the facets', schema: searchResult },
      target: search('/search'),
    },
    {
      method: 'GET',
      path: '/api/search/suggest',
      summary: 'Product names for search-as-you-type: words starting with the input, then near misses',
      access: 'public',
      query: suggestQuery,
      success: { status: 200, description: 'At most ten names', schema: suggestions },
      target: search('/search/suggest'),
    },
    {
      method: 'POST',
      path: '/api/admin/search/rebuild',
      summary: 'Rebuild the search index from catalog, in the background (admin role)',
      access: 'admin',
      success: { status: 202, description: 'The rebuild, just started', schema: rebuildProgress },
      errors: [409],
      target: search('/admin/rebuild'),
    },
    {
      method: 'GET',
      path: '/api/admin/search/rebuild',
      summary: 'Progress of the latest search index rebuild (admin role)',
      access: 'admin',
      success: { status: 200, description: 'The latest rebuild', schema: rebuildProgress },
      errors: [404],
      target: search('/admin/rebuild'),
    },
  ],
});
