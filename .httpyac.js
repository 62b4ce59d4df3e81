// httpyac reads this file (Visual Studio and VS Code's REST Client do not need it). It teaches httpyac the request
// variables those two understand, {{join.response.body.$.token}}, so FunctionsChat.http can use only the syntax
// all three share. httpyac keeps a named request's answer as the variable `<name>Response`.
const REQUEST_VARIABLE = /\{\{\s*(\w+)\.response\.body\.\$((?:\.\w+)*)\s*\}\}/gu;

/** The property at a JSONPath of dotted names ("$.token", "$.member.name") in a parsed JSON body. */
function valueAt(body, path) {
  let value = body;
  for (const name of path.split('.').filter(Boolean)) {
    if (value === null || typeof value !== 'object' || !(name in value)) return undefined;
    value = value[name];
  }
  return value;
}

function replaceRequestVariables(text, _type, context) {
  if (typeof text !== 'string') return text;
  return text.replace(REQUEST_VARIABLE, (whole, name, path) => {
    const response = context.variables[`${name}Response`];
    let body = response?.parsedBody;
    if (body === undefined && typeof response?.body === 'string') {
      try {
        body = JSON.parse(response.body);
      } catch {
        return whole; // not JSON: leave it for httpyac to report as unresolved
      }
    }
    const value = valueAt(body, path);
    return value === undefined || typeof value === 'object' ? whole : String(value);
  });
}

module.exports = {
  configureHooks(api) {
    // Before httpyac's own JavaScript replacer, which would read "join.response" as a script and fail.
    api.hooks.replaceVariable.addHook('restClientRequestVariables', replaceRequestVariables, { before: ['javascript'] });
  },
};
