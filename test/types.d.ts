// xhr2 ships no types; tests only hand it to DirectLineJS as XMLHttpRequest.
declare module 'xhr2';
