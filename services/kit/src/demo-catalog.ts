/**
 * The demo catalog the local stack starts with: catalog loads the products, inventory their
 * stock. Ids are fixed so tests and docs can name them.
 */

export interface DemoProduct {
  id: string;
  name: string;
  description: string;
  category: string;
  priceMinor: number;
  stock: number;
  attributes: Record<string, string>;
}

export const demoCurrency = 'EUR';

export const demoCategories = [
  { id: 'coffee', name: 'Coffee' },
  { id: 'tea', name: 'Tea' },
  { id: 'brewing', name: 'Brewing gear' },
  { id: 'mugs', name: 'Mugs and cups' },
] as const;

const p = (
  id: string,
  name: string,
  category: string,
  priceMinor: number,
  stock: number,
  description: string,
  attributes: Record<string, string> = {},
): DemoProduct => ({ id: `demo-${id}`, name, category, priceMinor, stock, description, attributes });

export const demoProducts: DemoProduct[] = [
  p('house-espresso', 'House Espresso Beans 1 kg', 'coffee', 2490, 120, 'Chocolatey espresso blend, medium-dark roast.', {
    origin: 'Brazil, Ethiopia',
    roast: 'medium-dark',
  }),
  p('ethiopia-yirgacheffe', 'Ethiopia Yirgacheffe 250 g', 'coffee', 1390, 60, 'Floral, citrus and bergamot; light roast.', {
    origin: 'Ethiopia',
    roast: 'light',
  }),
  p('colombia-huila', 'Colombia Huila 250 g', 'coffee', 1190, 80, 'Caramel sweetness with a red-apple finish.', {
    origin: 'Colombia',
    roast: 'medium',
  }),
  p('decaf-swiss-water', 'Swiss Water Decaf 250 g', 'coffee', 1290, 40, 'Decaffeinated without solvents; nutty and round.', {
    roast: 'medium',
  }),
  p('cold-brew-blend', 'Cold Brew Blend 500 g', 'coffee', 1690, 8, 'Coarse-ground blend made for 12-hour steeping.', {
    grind: 'coarse',
  }),
  p('sencha-uji', 'Uji Sencha 100 g', 'tea', 1450, 50, 'Steamed Japanese green tea, grassy and sweet.', { origin: 'Japan' }),
  p('assam-breakfast', 'Assam Breakfast 250 g', 'tea', 890, 90, 'Malty black tea that takes milk well.', { origin: 'India' }),
  p('earl-grey', 'Earl Grey Supreme 100 g', 'tea', 990, 70, 'Black tea with bergamot oil and cornflowers.'),
  p('jasmine-pearls', 'Jasmine Pearls 50 g', 'tea', 1590, 25, 'Hand-rolled green tea scented with jasmine.', { origin: 'China' }),
  p('rooibos-vanilla', 'Rooibos Vanilla 150 g', 'tea', 790, 3, 'Caffeine-free red bush with vanilla.'),
  p('pour-over-dripper', 'Ceramic Pour-over Dripper', 'brewing', 2900, 35, 'Single-cup cone dripper, size 02.', {
    material: 'porcelain',
  }),
  p('gooseneck-kettle', 'Gooseneck Kettle 1 l', 'brewing', 5900, 15, 'Stovetop kettle with a precise pouring spout.', {
    material: 'stainless steel',
  }),
  p('burr-grinder', 'Hand Burr Grinder', 'brewing', 8900, 12, 'Conical steel burrs, 40 grind settings.', {
    material: 'aluminium',
  }),
  p('french-press', 'French Press 800 ml', 'brewing', 3400, 28, 'Borosilicate glass with a four-layer filter.', {
    material: 'glass',
  }),
  p('paper-filters', 'Paper Filters size 02 (100)', 'brewing', 590, 200, 'Unbleached filters for cone drippers.'),
  p('stoneware-mug', 'Stoneware Mug 350 ml', 'mugs', 1800, 45, 'Hand-glazed mug, dishwasher safe.', { colour: 'slate' }),
  p('espresso-cups', 'Espresso Cups, set of 2', 'mugs', 2200, 30, 'Thick-walled porcelain cups with saucers.', {
    colour: 'white',
  }),
  p('double-wall-glass', 'Double-wall Glass 250 ml', 'mugs', 1600, 40, 'Keeps drinks hot and hands cool.'),
  p('travel-tumbler', 'Travel Tumbler 400 ml', 'mugs', 2700, 22, 'Vacuum-insulated, leak-proof lid.', {
    material: 'stainless steel',
  }),
  p('tea-bowl', 'Matcha Tea Bowl', 'mugs', 3200, 6, 'Wide bowl for whisking matcha.', { colour: 'moss' }),
];
