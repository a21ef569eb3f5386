import { describe, expect, test } from 'vitest';

import { defaultLanguage, translate } from '../src/i18n.js';

describe('defaultLanguage', () => {
  test('picks Simplified Chinese for zh browsers', () => {
    expect(defaultLanguage(['zh-CN', 'en'])).toBe('zh-CN');
    expect(defaultLanguage(['zh'])).toBe('zh-CN');
  });

  test('picks English otherwise', () => {
    expect(defaultLanguage(['de-DE', 'zh-CN'])).toBe('en');
    expect(defaultLanguage([])).toBe('en');
  });
});

describe('translate', () => {
  test('fills placeholders', () => {
    expect(translate('en', 'backendActive', { backend: 'wasm' })).toBe('Backend: wasm');
    expect(translate('zh-CN', 'backendActive', { backend: 'wasm' })).toBe('后端：wasm');
  });

  test('leaves unknown placeholders visible', () => {
    expect(translate('en', 'backendActive')).toBe('Backend: {backend}');
  });
});
