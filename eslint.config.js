// Lint: correctness rules from typescript-eslint, and the import boundaries that keep the layers
// pointing one way (README "Layout"): domain ← application ← api ← app (the composition root);
// adapters and projections never reach up. Test files may import test helpers and anything else.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * A file `depth` folders below the root reaches a top-level folder through exactly `depth` "../"
 * (`api/routes/x.ts` → `../../app/…`); `../app` from there would be `api/app.ts`, inside its own layer.
 */
const MAX_DEPTH = 5;
const forbidFrom = (layer, ...folders) =>
  Array.from({ length: MAX_DEPTH }, (_, index) => {
    const depth = index + 1;
    return {
      files: [`${layer}/${'*/'.repeat(index)}*.ts`],
      ignores: ['**/*.test.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^(\\.\\./){${depth}}(${folders.join('|')})(/|$)`,
                message: `${layer}/ must not import ${folders.join('/, ')}/ (layers point one way; see README "Layout").`,
              },
            ],
          },
        ],
      },
    };
  });

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.tmp/**', 'reports/**', 'docs/**', '**/*.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        clearImmediate: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        globalThis: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // A `let` read by a closure before its one assignment (wiring that refers to what is built next) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  // The dashboard's own scripts run in the browser, as ES modules (Chart.js's UMD build defines `Chart`).
  {
    files: ['dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'sessionStorage',
          'fetch',
          'atob',
          'TextDecoder',
          'URLSearchParams',
          'Intl',
          'Node',
          'Chart',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
          'console',
          'Date',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  ...forbidFrom('domain', 'adapters', 'application', 'projections', 'api', 'app', 'simulators', 'test', 'bench'),
  {
    files: ['domain/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='Date'][property.name='now']", message: 'The domain is pure: time comes from the command (metadata.now).' },
        { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'The domain is pure: no randomness.' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The domain is pure: time comes from the command (metadata.now).' },
      ],
    },
  },
  ...forbidFrom('adapters', 'application', 'projections', 'api', 'app', 'simulators', 'test', 'bench'),
  ...forbidFrom('projections', 'application', 'api', 'app', 'simulators', 'test', 'bench'),
  ...forbidFrom('application', 'api', 'app', 'simulators', 'test', 'bench'),
  ...forbidFrom('api', 'app', 'simulators', 'test', 'bench'),
);
